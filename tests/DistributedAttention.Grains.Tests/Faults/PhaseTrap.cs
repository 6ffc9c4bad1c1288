using DistributedAttention.Abstractions;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;

namespace DistributedAttention.Grains.Tests.Faults;

/// <summary>The phases of a job a silo can be killed in, each marked by the first grain call of that phase arriving at the victim.</summary>
public enum JobPhase
{
    /// <summary>The client uploads a shard's input (IShardData.LoadInputAsync).</summary>
    Upload,

    /// <summary>The coordinator has a shard prepare its layer-0 input (IShardControl.PrepareAsync).</summary>
    Prepare,

    /// <summary>A shard is told to compute a layer after the first (IShardControl.RunLayerAsync, layer ≥ 1).</summary>
    Layer,

    /// <summary>A ring message from a peer arrives mid-layer (IShardRing.DeliverAsync while the job runs).</summary>
    Exchange,

    /// <summary>The client streams a shard's output after the job completed.</summary>
    Output,
}

/// <summary>
/// Kills one silo of a <see cref="LocalCluster"/> at the first grain call of <see cref="JobPhase"/>
/// that reaches it: a silo holding a shard but not the coordinator, or the coordinator's silo.
/// The coordinator's address comes from the job's first status (reported before the upload).
/// </summary>
public sealed class PhaseTrap(LocalCluster cluster, JobPhase phase, bool coordinator)
{
    private readonly Lock gate = new();
    private volatile string? coordinatorSilo;
    private volatile bool running;
    private volatile bool completed;
    private volatile JobStatus? latest;

    /// <summary>Where the kill landed.</summary>
    public string? Victim { get; private set; }

    /// <summary>The kill, once it started.</summary>
    public Task? Kill { get; private set; }

    /// <summary>Feeds the job's statuses to the trap.</summary>
    public IProgress<JobStatus> Progress => new Testing.SynchronousProgress<JobStatus>(status =>
    {
        coordinatorSilo ??= status.CoordinatorSilo;
        latest = status;
        running |= status.State == JobState.Running;
        completed |= status.State == JobState.Completed;
    });

    /// <summary>
    /// A grain call to <paramref name="method"/> (with its arguments) arrives at <paramref name="silo"/>
    /// for grain <paramref name="grain"/>. Returns a task the call must wait for, or null.
    /// </summary>
    public Task? OnCall(string method, object?[] arguments, SiloAddress silo, string grain)
    {
        if (Kill is not null || coordinatorSilo is not { } boss || !Marks(method, arguments)) return null;
        var address = silo.ToString();
        if (phase == JobPhase.Output) return KillAheadOfTheReader(boss, address, grain);
        if (coordinator != (address == boss)) return null;
        Start(address);
        return null;
    }

    /// <summary>
    /// The client reads shard after shard: when it starts on one, the victim is a silo whose shard
    /// comes later, killed before this read goes on, so the client finds it gone.
    /// </summary>
    private Task? KillAheadOfTheReader(string boss, string reading, string grain)
    {
        if (latest is not { } status || !int.TryParse(grain[(grain.LastIndexOf('/') + 1)..], out var shard)) return null;
        // A shard's silo: one whose shard is read later. The coordinator's: as soon as the client reads elsewhere
        // (its own shard may already have been read; then only the coordinator is lost, not data still to read).
        var victim = coordinator
            ? (reading != boss ? boss : null)
            : status.Shards.Where(s => s.Shard > shard && s.Silo != reading && s.Silo != boss).Select(s => s.Silo).FirstOrDefault();
        if (victim is null) return null;
        Start(victim);
        return Kill;
    }

    private void Start(string address)
    {
        lock (gate)
        {
            if (Kill is not null) return;
            Victim = address;
            var index = cluster.SiloAddresses.Select(a => a.ToString()).ToList().IndexOf(address);
            Kill = Task.Run(() => cluster.KillSiloAsync(index));
        }
    }

    private bool Marks(string method, object?[] arguments) => phase switch
    {
        JobPhase.Upload => method == nameof(IShardData.LoadInputAsync),
        JobPhase.Prepare => method == nameof(IShardControl.PrepareAsync),
        JobPhase.Layer => method == nameof(IShardControl.RunLayerAsync) && arguments is [int layer, ..] && layer >= 1,
        JobPhase.Exchange => method == nameof(IShardRing.DeliverAsync) && running,
        // Output streams run as Orleans async-enumeration calls on the shard.
        _ => completed && (method == nameof(IShardData.ReadOutputAsync) || method.Contains("Enumeration", StringComparison.Ordinal)),
    };
}

/// <summary>Shows every grain call arriving at this silo to the trap of the running test.</summary>
internal sealed class PhaseTrapFilter(Func<PhaseTrap?> trap, ILocalSiloDetails silo) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (trap() is { } current)
        {
            var arguments = Enumerable.Range(0, context.Request.GetArgumentCount()).Select(context.Request.GetArgument).ToArray();
            if (current.OnCall(context.InterfaceMethod?.Name ?? "", arguments, silo.SiloAddress, context.TargetId.Key.ToString() ?? "") is { } wait) await wait;
        }
        await context.Invoke();
    }
}
