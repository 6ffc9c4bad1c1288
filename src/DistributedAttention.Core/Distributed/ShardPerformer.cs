using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Performer on a shard: features are seeded and data-independent, so each shard maps its own
/// rows; the key sums Σφ(k)vᵀ, Σφ(k) are all-reduced (non-causal) or prefix-scanned (causal).
/// </summary>
internal static class ShardPerformer
{
    public static async Task<AttentionResult> ForwardAsync(ShardContext c, Tensor q, Tensor k, Tensor v)
    {
        var spec = c.Spec;
        var features = await c.Run(() =>
        {
            var scale = HeadLayout.Scale(spec, q);
            var omega = PerformerFeatures.Omega(spec.Seed, spec.Features, q.shape[3], q.device);
            return new[]
            {
                PerformerFeatures.Queries(HeadLayout.Flatten(q), omega, scale),
                PerformerFeatures.Keys(HeadLayout.Flatten(k), omega, scale),
                HeadLayout.Flatten(v),
            };
        }).ConfigureAwait(false);
        foreach (var t in features) c.Bag.Add(t);
        var (phiQ, phiK, vf) = (features[0], features[1], features[2]);
        var local = await c.Run(() =>
        {
            var (state, normaliser) = PerformerAttention.State(phiK, vf);
            return new[] { state, normaliser };
        }).ConfigureAwait(false);
        Tensor[] sums;
        try
        {
            sums = spec.Causal
                ? await RingCollectives.ExclusiveScanAsync(c.Ring, c.Executor, local, RingCollectives.Sum,
                    () => [zeros_like(local[0]), zeros_like(local[1])], c.Tag("prefix-scan", "performer"), c.Cancellation).ConfigureAwait(false)
                : await RingCollectives.AllReduceAsync(c.Ring, c.Executor, local, RingCollectives.Sum, c.Tag("reduce", "performer"), c.Cancellation).ConfigureAwait(false);
        }
        finally
        {
            RingCollectives.Dispose(local);
        }
        try
        {
            var output = await c.Run(() => spec.Causal
                ? PerformerAttention.Causal(phiQ, phiK, vf, sums[0], sums[1])
                : PerformerAttention.Output(phiQ, sums[0], sums[1])).ConfigureAwait(false);
            return new AttentionResult(output, null);
        }
        finally
        {
            RingCollectives.Dispose(sums);
        }
    }
}
