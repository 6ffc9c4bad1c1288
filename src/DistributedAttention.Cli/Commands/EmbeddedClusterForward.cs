using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Experiments;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Commands;

/// <summary>
/// The experiments' cluster column: each measurement is an attention job on a cluster this command
/// started (one shard per silo), timed from the client: upload, ring compute and the output read back.
/// </summary>
internal sealed class EmbeddedClusterForward(JobClient client, int shards, string description) : IClusterForward
{
    /// <inheritdoc />
    public string Description => $"{description}, {shards} shard(s)";

    /// <inheritdoc />
    public ForwardMeasurement Measure(AttentionSpec spec, long n, int heads, int headDim, int repeats, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        HostTensor q, k, v;
        using (NewDisposeScope())
        {
            var inputs = ForwardMeasurement.Inputs(n, heads, headDim);
            (q, k, v) = (inputs.Q.ToHost(), inputs.K.ToHost(), inputs.V.ToHost());
        }
        var options = new JobOptions(shards);
        // The runner is synchronous and runs on a thread of its own, not on an Orleans scheduler: waiting here blocks nothing the job needs.
        return ForwardMeasurement.Time(n, repeats, () => client.RunAttentionAsync(spec, q, k, v, options, null, cancellationToken).GetAwaiter().GetResult());
    }
}
