using DistributedAttention.Contracts;

namespace DistributedAttention.Experiments;

/// <summary>Times one attention call on a cluster: the cluster column of the speed table.</summary>
public interface IClusterForward
{
    /// <summary>The cluster, for the report ("an embedded cluster of 3 silos, 3 shards").</summary>
    string Description { get; }

    /// <summary>Times <paramref name="spec"/> over the inputs of <see cref="ForwardMeasurement.Inputs"/> on the cluster, as <see cref="ForwardMeasurement.Time"/> does.</summary>
    ForwardMeasurement Measure(AttentionSpec spec, long n, int heads, int headDim, int repeats, CancellationToken cancellationToken);
}
