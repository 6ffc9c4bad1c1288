using DistributedAttention.Abstractions;
using DistributedAttention.Core.Distributed;

namespace DistributedAttention.Grains.Jobs;

/// <summary>Checks job requests and splits the sequence; every error names the problem.</summary>
public static class JobPlanner
{
    /// <summary>Validates a request; returns its shard layout.</summary>
    /// <exception cref="ArgumentException">The request is invalid.</exception>
    public static ShardLayout Layout(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var options = request.Options;
        return options.ShardSizes is { } sizes ? ShardLayout.FromSizes(sizes) : ShardLayout.Even(request.Work.Length, options.Shards);
    }
}
