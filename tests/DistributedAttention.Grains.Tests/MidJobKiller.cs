using DistributedAttention.Abstractions;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// Once a shard has finished two layers (or <c>when</c> says so), kills a silo that hosts shards but
/// neither the coordinator nor the membership table (silo 0).
/// </summary>
internal sealed class MidJobKiller
{
    private readonly string[] addresses;
    private Task? kill;

    public MidJobKiller(LocalCluster cluster, Func<JobStatus, bool>? when = null)
    {
        addresses = cluster.SiloAddresses.Select(a => a.ToString()).ToArray();
        when ??= status => status.Shards.Any(s => s.LayersDone >= 2);
        Progress = new Testing.SynchronousProgress<JobStatus>(status =>
        {
            if (kill is not null || status.State != JobState.Running || !when(status)) return;
            var index = Array.FindIndex(addresses, a => a != status.CoordinatorSilo && a != addresses[0]);
            Victim = addresses[index];
            ShardsOnVictim = status.Shards.Where(s => s.Silo == Victim).Select(s => s.Shard).Order().ToArray();
            kill = cluster.KillSiloAsync(index);
        });
    }

    public IProgress<JobStatus> Progress { get; }

    public string? Victim { get; private set; }

    public int[] ShardsOnVictim { get; private set; } = [];

    public Task KilledAsync() => kill ?? throw new Xunit.Sdk.XunitException("the job ended before a silo was killed.");
}
