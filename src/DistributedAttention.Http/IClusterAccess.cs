using Orleans.Runtime;
using DistributedAttention.Client;

namespace DistributedAttention.Http;

/// <summary>The cluster the API runs jobs on: its job client and how many silos are up.</summary>
public interface IClusterAccess
{
    /// <summary>Runs jobs.</summary>
    JobClient Jobs { get; }

    /// <summary>How the cluster is reached, for summaries ("embedded cluster of 3 silos").</summary>
    string Description { get; }

    /// <summary>Silos active in the cluster now (0 when it cannot be reached).</summary>
    Task<int> ActiveSilosAsync(CancellationToken cancellationToken);
}

/// <summary><see cref="IClusterAccess"/> over any grain factory: a silo's own, or a cluster client.</summary>
/// <param name="grains">Where grains come from.</param>
/// <param name="description">How the cluster is reached.</param>
public sealed class GrainClusterAccess(IGrainFactory grains, string description) : IClusterAccess
{
    /// <inheritdoc />
    public JobClient Jobs { get; } = new(grains);

    /// <inheritdoc />
    public string Description => description;

    /// <inheritdoc />
    public async Task<int> ActiveSilosAsync(CancellationToken cancellationToken)
    {
        try
        {
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            return hosts.Count;
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or InvalidOperationException)
        {
            return 0;
        }
    }
}
