using DistributedAttention.Abstractions;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;

namespace DistributedAttention.Grains.Tests;

/// <summary>Once two layers are complete, kills the silo that holds the job's coordinator.</summary>
internal sealed class CoordinatorKiller
{
    private Task? kill;

    public CoordinatorKiller(LocalCluster cluster)
    {
        Progress = new Testing.SynchronousProgress<JobStatus>(status =>
        {
            if (kill is not null || status.State != JobState.Running || status.LayersCompleted < 2) return;
            (Victim, CompletedAtKill) = (status.CoordinatorSilo, status.LayersCompleted);
            kill = cluster.KillSiloAsync(cluster.SiloAddresses.Select(a => a.ToString()).ToList().IndexOf(Victim));
        });
    }

    public IProgress<JobStatus> Progress { get; }

    /// <summary>The coordinator's silo, once killed.</summary>
    public string? Victim { get; private set; }

    /// <summary>Layers complete when it was killed.</summary>
    public int CompletedAtKill { get; private set; } = -1;

    public Task KilledAsync() => kill ?? throw new Xunit.Sdk.XunitException("the job ended before the coordinator's silo was killed.");
}
