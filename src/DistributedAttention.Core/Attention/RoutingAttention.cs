using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// Routing attention (Roy et al., 2021), exact within clusters: every query and key goes to the
/// cluster of its nearest centroid (<see cref="RoutingClusters"/>); query i sees key j when both
/// are in one cluster (and j ≤ i when causal), and always its own key j = i, so no row is empty.
/// Each cluster is computed as one dense block of its own queries and keys, so the cost is the
/// sum of the squared cluster sizes: about n²/C when clusters are balanced. Training keeps the
/// centroids near the data (online k-means); at inference they are fixed in the spec.
/// </summary>
public static class RoutingAttention
{
    /// <summary>Routing attention over the whole sequence.</summary>
    /// <param name="spec">A routing spec (Clusters, Centroids or Seed).</param>
    /// <param name="q">(batch, heads, n, d) queries.</param>
    /// <param name="k">(batch, heads, n, d) keys.</param>
    /// <param name="v">(batch, heads, n, dv) values.</param>
    /// <returns>Output and lse.</returns>
    public static AttentionResult Forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v)
    {
        spec.Validate();
        HeadLayout.CheckInputs(q, k, v);
        using var scope = NewDisposeScope();
        var qs = HeadLayout.ScaledQueries(q, HeadLayout.Scale(spec, q));
        var kf = HeadLayout.Flatten(k);
        var vf = HeadLayout.Flatten(v);
        var (bh, n) = (kf.shape[0], kf.shape[1]);
        using var centroids = RoutingClusters.Centroids(spec, kf.shape[2], kf.device);
        var queryClusters = Rows(RoutingClusters.Assign(qs, centroids));
        var keyClusters = Rows(RoutingClusters.Assign(kf, centroids));
        var positions = Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();
        var outputs = new List<Tensor>();
        var lses = new List<Tensor>();
        for (var b = 0; b < bh; b++)
        {
            var row = Clustered(spec.Causal, qs[b], kf[b], vf[b], queryClusters[b], positions, keyClusters[b], positions);
            outputs.Add(row.Output);
            lses.Add(row.Lse!);
        }
        var result = WithOwnKeys(new AttentionResult(stack(outputs), stack(lses)), qs, kf, vf, queryClusters, keyClusters);
        return HeadLayout.Unflatten(result, q.shape[0], q.shape[1]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One (batch, head) row's attention within clusters, its own keys left out where their cluster
    /// differs (<see cref="WithOwnKeys"/> adds them). Within a cluster, positions must ascend.
    /// </summary>
    /// <param name="causal">Keys after the query are hidden.</param>
    /// <param name="qs">(mq, d) scaled queries.</param>
    /// <param name="k">(mk, d) keys.</param>
    /// <param name="v">(mk, dv) values.</param>
    /// <param name="queryClusters">Cluster of each query.</param>
    /// <param name="queryPositions">Absolute position of each query.</param>
    /// <param name="keyClusters">Cluster of each key.</param>
    /// <param name="keyPositions">Absolute position of each key.</param>
    /// <returns>(o (mq, dv), lse (mq)) in the queries' order; a query that sees nothing gets 0 and −inf.</returns>
    public static AttentionResult Clustered(bool causal, Tensor qs, Tensor k, Tensor v, long[] queryClusters, long[] queryPositions, long[] keyClusters, long[] keyPositions)
    {
        using var scope = NewDisposeScope();
        var keysOf = Group(keyClusters);
        var order = new List<long>();
        var outputs = new List<Tensor>();
        var lses = new List<Tensor>();
        foreach (var (cluster, queries) in Group(queryClusters))
        {
            order.AddRange(queries);
            var mq = queries.Count;
            if (!keysOf.TryGetValue(cluster, out var keys))
            {
                outputs.Add(zeros(mq, v.shape[1], dtype: v.dtype, device: v.device));
                lses.Add(full(mq, KeptScalars.NegativeInfinity, dtype: qs.dtype, device: qs.device));
                continue;
            }
            var keyPos = keys.Select(j => keyPositions[j]).ToArray();
            var last = queries.Select(i => causal ? UpperBound(keyPos, queryPositions[i]) - 1 : keyPos.Length - 1).ToArray();
            using var qIndex = tensor(queries.ToArray(), device: qs.device);
            using var kIndex = tensor(keys.ToArray(), device: k.device);
            var kernel = new IntervalAttention { QueryBlock = 256, KeyChunk = 2048 };
            var part = kernel.Forward(qs.index_select(0, qIndex).unsqueeze(0), k.index_select(0, kIndex).unsqueeze(0), v.index_select(0, kIndex).unsqueeze(0),
                HeadLayout.Range(0, mq), 0, a => (0, last[a]));
            kernel.ClearMasks();
            outputs.Add(part.Output.squeeze(0));
            lses.Add(part.Lse!.squeeze(0));
        }
        var inverse = new long[order.Count];
        for (var j = 0; j < order.Count; j++) inverse[order[j]] = j;
        using var back = tensor(inverse, device: qs.device);
        return new AttentionResult(cat(outputs, 0).index_select(0, back), cat(lses, 0).index_select(0, back)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Adds every query's own key where it is in another cluster (where it is in the same one,
    /// <see cref="Clustered"/> has already counted it).
    /// </summary>
    /// <param name="clustered">(o (bh, n, dv), lse (bh, n)) within clusters.</param>
    /// <param name="qs">(bh, n, d) scaled queries.</param>
    /// <param name="k">(bh, n, d) the keys at the queries' positions.</param>
    /// <param name="v">(bh, n, dv) the values.</param>
    /// <param name="queryClusters">Cluster of each query, per row.</param>
    /// <param name="keyClusters">Cluster of each key, per row.</param>
    public static AttentionResult WithOwnKeys(AttentionResult clustered, Tensor qs, Tensor k, Tensor v, long[][] queryClusters, long[][] keyClusters)
    {
        using var scope = NewDisposeScope();
        var apart = queryClusters.SelectMany((row, b) => row.Select((c, i) => c != keyClusters[b][i])).ToArray();
        using var other = tensor(apart, [qs.shape[0], qs.shape[1]], device: qs.device);
        var own = qs.mul(k).sum(-1).masked_fill(other.logical_not(), KeptScalars.NegativeInfinity);
        return PartialMerge.Merge(clustered, new AttentionResult(v, own)).MoveToOuterDisposeScope();
    }

    /// <summary>A 2-D integer tensor (e.g. (bh, n) clusters) as one int64 array per row; no rows, no arrays.</summary>
    public static long[][] Rows(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.shape[0] == 0) return [];
        using var cpu = values.to(ScalarType.Int64).cpu();
        var flat = cpu.data<long>().ToArray();
        var n = (int)values.shape[1];
        return [.. Enumerable.Range(0, (int)values.shape[0]).Select(b => flat.AsSpan(b * n, n).ToArray())];
    }

    private static SortedDictionary<long, List<long>> Group(long[] clusters)
    {
        var groups = new SortedDictionary<long, List<long>>();
        for (var i = 0; i < clusters.Length; i++)
        {
            if (!groups.TryGetValue(clusters[i], out var members)) groups[clusters[i]] = members = [];
            members.Add(i);
        }
        return groups;
    }

    /// <summary>The number of sorted positions ≤ <paramref name="position"/>.</summary>
    private static int UpperBound(long[] sorted, long position)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sorted[mid] <= position) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
