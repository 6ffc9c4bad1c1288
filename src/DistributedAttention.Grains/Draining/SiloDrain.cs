using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DistributedAttention.Grains.Draining;

/// <summary>
/// A silo's graceful exit (<see cref="ISiloDrain"/>): announce the drain so placement sends no new
/// shard or coordinator here, then wait until <see cref="SiloWork"/> is idle or
/// <see cref="SiloDrainOptions.Timeout"/> passes. A job spanning this silo therefore finishes
/// with no recomputation; one still running at the timeout is recovered by the usual path once
/// the silo leaves. Thread-safe; a silo singleton.
/// </summary>
public sealed class SiloDrain(SiloWork work, DrainingSilos draining, ILocalSiloDetails local, IOptions<SiloDrainOptions> options, ILogger<SiloDrain> logger) : ISiloDrain
{
    private readonly Lock gate = new();
    private Task<SiloDrainStatus>? drain;
    private Stopwatch? clock;
    private DrainPhase phase = DrainPhase.Serving;

    /// <inheritdoc />
    public SiloDrainStatus Status => new(phase, local.SiloAddress.ToString(), work.Shards, work.Coordinators, options.Value.Timeout, clock?.Elapsed.TotalSeconds);

    /// <inheritdoc />
    public Task<SiloDrainStatus> DrainAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            drain ??= Task.Run(RunAsync, CancellationToken.None);
        }
        return drain.WaitAsync(cancellationToken);
    }

    private async Task<SiloDrainStatus> RunAsync()
    {
        var timeout = options.Value.Timeout;
        clock = Stopwatch.StartNew();
        phase = DrainPhase.Draining;
        SiloMetrics.DrainStarted();
        logger.LogWarning("Draining silo {Silo}: no new work; waiting up to {Timeout} for {Shards} shard(s) and {Coordinators} coordinator(s)",
            local.SiloAddress, timeout, work.Shards.Count, work.Coordinators.Count);
        await draining.AnnounceLocalAsync().ConfigureAwait(false);
        while (!work.IsIdle && clock.Elapsed < timeout) await Task.Delay(options.Value.PollInterval).ConfigureAwait(false);
        phase = work.IsIdle ? DrainPhase.Drained : DrainPhase.TimedOut;
        SiloMetrics.DrainEnded(phase == DrainPhase.Drained, clock.Elapsed);
        var status = Status;
        if (phase == DrainPhase.Drained)
            logger.LogWarning("Silo {Silo} drained in {Seconds:F1} s", local.SiloAddress, clock.Elapsed.TotalSeconds);
        else
            logger.LogWarning("Silo {Silo}: drain timed out after {Timeout}; still running: shards {Shards}, coordinators {Coordinators} (they will be recovered elsewhere)",
                local.SiloAddress, timeout, string.Join(", ", status.Shards), string.Join(", ", status.Coordinators));
        return status;
    }
}
