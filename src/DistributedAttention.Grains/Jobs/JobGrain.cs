using System.Diagnostics;
using System.Runtime.CompilerServices;
using DistributedAttention.Abstractions;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Grains.Placement;
using DistributedAttention.Grains.Shards;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace DistributedAttention.Grains.Jobs;

/// <summary>
/// The coordinator of one job: plans the shards, uploads token ids to them, drives the layers
/// (every shard runs a layer together with its ring neighbours; the coordinator only starts
/// and watches), recovers shards lost with their silo (JobRecovery.cs) and streams
/// the output back in sequence order. Status calls interleave with everything.
/// </summary>
public sealed partial class JobGrain(ILogger<JobGrain> logger, ILocalSiloDetails siloDetails, IOptions<SiloMessagingOptions> messaging) : Grain, IJobGrain
{
    private const int TokenChunk = 1 << 18;
    private readonly Stopwatch clock = new();
    private readonly List<PhaseTiming> phases = [];
    private readonly List<RecoveryEvent> recoveries = [];
    private readonly Dictionary<string, long> bytesByCollective = new(StringComparer.Ordinal);
    private JobKind kind;
    private string configJson = "";
    private JobOptions options = new(1);
    private ShardLayout? layout;
    private int layers;
    private int[]? tokens;
    private long tokensReceived;
    private JobState state = JobState.Created;
    private string? error;
    private int[] layersDone = [];
    private long[] bytesPerLayer = [];
    private ShardPlacement[] placements = [];
    private CancellationTokenSource cancellation = new();
    private int attempt;
    private bool created;

    /// <inheritdoc />
    public Task<JobPlan> CreateModelJobAsync(ModelJobRequest request)
    {
        RequireNew();
        var (model, plan) = JobPlanner.Plan(request);
        (kind, configJson, options, layout, layers) = (JobKind.Model, request.ModelOptionsJson, request.Options, plan, model.Layers);
        tokens = new int[request.Tokens];
        Created();
        return Task.FromResult(Plan());
    }

    /// <inheritdoc />
    public Task AppendTokensAsync(long offset, byte[] tokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        if (tokens is null || state != JobState.Created) throw new InvalidOperationException("tokens can only be added to a created model job that has not started.");
        if (tokenIds.Length % 4 != 0) throw new ArgumentException($"token ids are int32: {tokenIds.Length} bytes is not a multiple of 4.");
        var count = tokenIds.Length / 4;
        if (offset < 0 || offset + count > tokens.Length)
            throw new ArgumentException($"tokens {offset}..{offset + count - 1} fall outside the job's {tokens.Length} tokens.");
        Buffer.BlockCopy(tokenIds, 0, tokens, (int)offset * 4, tokenIds.Length);
        tokensReceived += count;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<JobPlan> CreateAttentionJobAsync(AttentionJobRequest request)
    {
        RequireNew();
        var (_, plan) = JobPlanner.Plan(request);
        (kind, configJson, options, layout, layers) = (JobKind.Attention, request.SpecJson, request.Options, plan, 1);
        Created();
        // The client uploads q, k, v straight to the shards, so they join the job now.
        await InitializeShardsAsync();
        return Plan();
    }

    /// <inheritdoc />
    public Task StartAsync()
    {
        if (!created) throw new InvalidOperationException($"job {this.GetPrimaryKeyString()} was never created.");
        if (state != JobState.Created) return Task.CompletedTask;
        if (tokens is not null && tokensReceived != tokens.Length)
            throw new InvalidOperationException($"{tokensReceived} of {tokens.Length} tokens were uploaded; upload them all before starting.");
        state = JobState.Running;
        clock.Restart();
        DelayDeactivation(TimeSpan.FromHours(12));
        _ = RunAsync();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<JobStatus> GetStatusAsync()
    {
        var shards = placements.Select((p, s) => new ShardProgress(s, p.Silo, p.Device, layersDone.Length > s ? layersDone[s] : 0)).ToArray();
        return Task.FromResult(new JobStatus(this.GetPrimaryKeyString(), kind, state, layers, shards, [.. recoveries], [.. phases],
            new Dictionary<string, long>(bytesByCollective), [.. bytesPerLayer], error, clock.Elapsed.TotalSeconds, siloDetails.SiloAddress.ToString()));
    }

    /// <inheritdoc />
    public async Task CancelAsync()
    {
        if (state is JobState.Completed or JobState.Failed or JobState.Cancelled) return;
        state = JobState.Cancelled;
        error = "cancelled on request.";
        await cancellation.CancelAsync();
        await ForEachShardAsync(s => Shard(s).AbortAsync(attempt), ignoreErrors: true);
    }

    /// <inheritdoc />
    public async Task ReleaseAsync()
    {
        if (layout is null) return;
        await ForEachShardAsync(s => Shard(s).ReleaseAsync(), ignoreErrors: true);
        tokens = null;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<TensorChunk> ReadOutputAsync(string name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (state != JobState.Completed)
            throw new InvalidOperationException($"job {this.GetPrimaryKeyString()} is {state}{(error is null ? "" : $" ({error})")}; its output can be read once it has completed.");
        // While one shard's rows go out, the next shard's are fetched: at most two shards are buffered here.
        var next = BufferShardAsync(0, name, cancellationToken);
        var row = 0L;
        for (var s = 0; s < layout!.Count; s++)
        {
            var chunks = await next;
            if (s + 1 < layout.Count) next = BufferShardAsync(s + 1, name, cancellationToken);
            foreach (var chunk in chunks)
            {
                if (chunk.RowStart != row) throw new InvalidOperationException($"shard {s} sent rows from {chunk.RowStart}; expected {row}.");
                row += chunk.Shape[chunk.SequenceDim];
                yield return chunk;
            }
        }
    }

    /// <summary>One shard's output chunks; a shard lost since the job completed is restored from its neighbour's copy and read again.</summary>
    private async Task<List<TensorChunk>> BufferShardAsync(int s, string name, CancellationToken cancellationToken)
    {
        for (var tries = 0; ; tries++)
        {
            var chunks = new List<TensorChunk>();
            try
            {
                await foreach (var chunk in Shard(s).ReadOutputAsync(name, cancellationToken).WithBatchSize(StreamBatching.ChunksPerBatch(options.ChunkBytes, messaging.Value.MaxMessageBodySize))) chunks.Add(chunk);
                return chunks;
            }
            catch (Exception e) when (tries < 2 && e is not ArgumentException and not OperationCanceledException)
            {
                logger.LogWarning(e, "Reading shard {Shard} of job {Job} failed; restoring it", s, this.GetPrimaryKeyString());
                await RecoverAsync([s], layers, cancellationToken);
            }
        }
    }

    private async Task RunAsync()
    {
        var token = cancellation.Token;
        try
        {
            await Phase("load", async () =>
            {
                if (kind == JobKind.Model)
                {
                    await InitializeShardsAsync();
                    await UploadTokensAsync(token);
                }
            });
            await Phase("prepare", () => ForEachShardAsync(async s => Account(-1, await Shard(s).PrepareAsync())));
            for (var layer = 0; layer < layers; layer++)
            {
                var l = layer;
                await Phase($"layer {layer}", () => RunLayerAsync(l, token));
            }
            placements = await Task.WhenAll(Enumerable.Range(0, layout!.Count).Select(s => Shard(s).GetPlacementAsync()));
            if (state == JobState.Running) state = JobState.Completed;
        }
        catch (Exception e) when (state == JobState.Cancelled || token.IsCancellationRequested)
        {
            logger.LogInformation(e, "Job {Job} cancelled", this.GetPrimaryKeyString());
        }
        catch (Exception e)
        {
            state = JobState.Failed;
            error = e is AggregateException { InnerException: { } inner } ? inner.Message : e.Message;
            logger.LogError(e, "Job {Job} failed", this.GetPrimaryKeyString());
        }
        finally
        {
            clock.Stop();
        }
    }

    private async Task UploadTokensAsync(CancellationToken token)
    {
        await ForEachShardAsync(async s =>
        {
            var (start, end) = (layout!.Start(s), layout.End(s));
            for (var first = start; first < end; first += TokenChunk)
            {
                token.ThrowIfCancellationRequested();
                var count = (int)Math.Min(TokenChunk, end - first);
                var bytes = new byte[count * 4];
                Buffer.BlockCopy(tokens!, (int)first * 4, bytes, 0, bytes.Length);
                await Shard(s).LoadInputAsync(new TensorChunk("tokens", 1, first, [1, count], bytes));
            }
        });
    }

    private async Task InitializeShardsAsync()
    {
        await ForEachShardAsync(s => Shard(s).InitializeAsync(Assignment(s)));
        placements = await Task.WhenAll(Enumerable.Range(0, layout!.Count).Select(s => Shard(s).GetPlacementAsync()));
    }

    private ShardAssignment Assignment(int s) =>
        new(this.GetPrimaryKeyString(), kind, s, [.. layout!.Bounds], configJson, options);

    private IShardGrain Shard(int s) => GrainFactory.GetGrain<IShardGrain>(ShardKey.Format(this.GetPrimaryKeyString(), s));

    private JobPlan Plan() => new(this.GetPrimaryKeyString(), kind, [.. layout!.Bounds], layers, placements);

    private void RequireNew()
    {
        if (created) throw new InvalidOperationException($"job {this.GetPrimaryKeyString()} already exists; use a new job id.");
    }

    private void Created()
    {
        created = true;
        layersDone = new int[layout!.Count];
        bytesPerLayer = new long[layers];
        placements = Enumerable.Range(0, layout.Count).Select(s => new ShardPlacement(s, layout.Start(s), layout.End(s), "", "")).ToArray();
    }

    private async Task Phase(string name, Func<Task> work)
    {
        var watch = Stopwatch.StartNew();
        await work();
        phases.Add(new PhaseTiming(name, watch.Elapsed.TotalSeconds));
    }

    private async Task ForEachShardAsync(Func<int, Task> call, bool ignoreErrors = false)
    {
        var calls = Enumerable.Range(0, layout!.Count).Select(async s =>
        {
            try
            {
                await call(s);
            }
            catch (Exception) when (ignoreErrors)
            {
                // Best effort (cancel, release): a lost shard has nothing to clean up.
            }
        });
        await Task.WhenAll(calls);
    }
}
