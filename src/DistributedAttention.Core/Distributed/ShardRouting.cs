using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Routing attention on a shard: clusters are spread over the shards by size (an all-gather of
/// each shard's count per cluster, then the largest cluster to the least loaded shard, the same
/// choice on every shard); every shard sends each cluster's queries, keys and values, with their
/// (cluster, row, position), to the cluster's owner (all-to-all); owners compute their clusters
/// exactly and send each query's (o, lse) home (all-to-all back); home adds each query's own key
/// where it was in another cluster. Traffic is the shard's q, k and v once and (o, lse) once.
/// </summary>
internal static class ShardRouting
{
    public static async Task<AttentionResult> ForwardAsync(ShardContext c, Tensor qs, Tensor kf, Tensor vf)
    {
        var spec = c.Spec;
        var (p, me, start) = (c.Layout.Count, c.Shard, c.Start);
        var (bh, rows) = (kf.shape[0], kf.shape[1]);
        var (queryClusters, keyClusters) = await c.Run(() =>
        {
            using var centroids = RoutingClusters.Centroids(spec, kf.shape[2], kf.device);
            using var cq = RoutingClusters.Assign(qs, centroids);
            using var ck = RoutingClusters.Assign(kf, centroids);
            return (RoutingAttention.Rows(cq), RoutingAttention.Rows(ck));
        }).ConfigureAwait(false);

        var owner = await OwnersAsync(c, queryClusters, keyClusters).ConfigureAwait(false);
        var queriesTo = Outgoing(queryClusters, owner, p);
        var keysTo = Outgoing(keyClusters, owner, p);

        // Out: to every owner, its clusters' tokens of this shard, ordered by (cluster, row, position).
        var sends = new List<Task>();
        for (var t = 0; t < p; t++)
        {
            var bundle = await c.Run(() => Bundle(qs, kf, vf, queriesTo[t], keysTo[t], rows, start)).ConfigureAwait(false);
            sends.AddRange(bundle.Select((x, i) => SendAndDisposeAsync(c, t, $"routing/{i}", x)));
        }
        var incoming = new Tensor[p][];
        for (var s = 0; s < p; s++) incoming[s] = await ReceiveAsync(c, s, "routing", 5).ConfigureAwait(false);
        await Task.WhenAll(sends).ConfigureAwait(false);

        // Owner: every cluster it holds, exactly; then each origin's rows back in the order they came.
        var answers = await c.Run(() => Compute(spec.Causal, incoming, qs.device)).ConfigureAwait(false);
        foreach (var x in incoming.SelectMany(b => b)) x.Dispose();
        var backs = new List<Task>();
        for (var s = 0; s < p; s++)
        {
            backs.Add(SendAndDisposeAsync(c, s, "routing-back/o", answers[2 * s]));
            backs.Add(SendAndDisposeAsync(c, s, "routing-back/lse", answers[2 * s + 1]));
        }
        var results = new Tensor[p][];
        for (var t = 0; t < p; t++) results[t] = await ReceiveAsync(c, t, "routing-back", 2, "o", "lse").ConfigureAwait(false);
        await Task.WhenAll(backs).ConfigureAwait(false);

        return await c.Run(() =>
        {
            var flat = queriesTo.SelectMany(list => list.Select(x => x.Row * rows + x.Index)).ToArray();
            var inverse = new long[flat.Length];
            for (var j = 0; j < flat.Length; j++) inverse[flat[j]] = j;
            using var back = tensor(inverse, device: qs.device);
            var o = cat(results.Select(r => r[0].to(qs.device)).ToArray(), 0).index_select(0, back).reshape(bh, rows, vf.shape[2]);
            var lse = cat(results.Select(r => r[1].to(qs.device)).ToArray(), 0).index_select(0, back).reshape(bh, rows);
            foreach (var x in results.SelectMany(r => r)) x.Dispose();
            return RoutingAttention.WithOwnKeys(new AttentionResult(o, lse), qs, kf, vf, queryClusters, keyClusters);
        }).ConfigureAwait(false);
    }

    /// <summary>The owner of every cluster, from every shard's token counts (largest cluster first to the least loaded shard).</summary>
    private static async Task<int[]> OwnersAsync(ShardContext c, long[][] queryClusters, long[][] keyClusters)
    {
        var clusters = c.Spec.Clusters;
        var counts = new int[clusters];
        foreach (var cluster in queryClusters.Concat(keyClusters).SelectMany(r => r)) counts[cluster]++;
        using var local = await c.Run(() => tensor(counts, [1, 1, clusters])).ConfigureAwait(false);
        using var all = await RingCollectives.AllGatherAsync(c.Ring, c.Executor, local, c.Tag("allgather", "routing-counts"), c.Cancellation).ConfigureAwait(false);
        var totals = await c.Executor.RunAsync(() =>
        {
            using var summed = all.to(ScalarType.Int64).sum([0, 1]).cpu();
            return summed.data<long>().ToArray();
        }, c.Cancellation).ConfigureAwait(false);
        var load = new long[c.Layout.Count];
        var owner = new int[clusters];
        foreach (var cluster in Enumerable.Range(0, clusters).OrderByDescending(x => totals[x]).ThenBy(x => x))
        {
            var least = Array.IndexOf(load, load.Min());
            owner[cluster] = least;
            load[least] += totals[cluster];
        }
        return owner;
    }

    private readonly record struct Token(long Cluster, long Row, long Index);

    /// <summary>For every shard, this shard's tokens in the clusters it owns, by (cluster, row, index).</summary>
    private static List<Token>[] Outgoing(long[][] clusters, int[] owner, int shards)
    {
        var lists = Enumerable.Range(0, shards).Select(_ => new List<Token>()).ToArray();
        for (var b = 0; b < clusters.Length; b++)
        {
            for (var i = 0; i < clusters[b].Length; i++) lists[owner[clusters[b][i]]].Add(new Token(clusters[b][i], b, i));
        }
        foreach (var list in lists) list.Sort((x, y) => (x.Cluster, x.Row, x.Index).CompareTo((y.Cluster, y.Row, y.Index)));
        return lists;
    }

    /// <summary>Query (cluster, row, position) and rows; key (cluster, row, position), rows and values.</summary>
    private static Tensor[] Bundle(Tensor qs, Tensor k, Tensor v, List<Token> queries, List<Token> keys, long rows, long start)
    {
        Tensor Meta(List<Token> tokens) => tensor(tokens.SelectMany(x => new[] { x.Cluster, x.Row, start + x.Index }).ToArray(), [tokens.Count, 3]);
        Tensor Pick(Tensor x, List<Token> tokens)
        {
            using var index = tensor(tokens.Select(t => t.Row * rows + t.Index).ToArray(), device: x.device);
            return x.reshape(-1, x.shape[2]).index_select(0, index);
        }
        return [Meta(queries), Pick(qs, queries), Meta(keys), Pick(k, keys), Pick(v, keys)];
    }

    /// <summary>The owner's answers: for each origin shard, o and lse of the queries it sent, in its order (2 tensors per shard).</summary>
    private static Tensor[] Compute(bool causal, Tensor[][] incoming, Device device)
    {
        var queryMeta = incoming.Select(b => RoutingAttention.Rows(b[0])).ToArray();
        var keyMeta = RoutingAttention.Rows(cat(incoming.Select(b => b[2]).ToArray(), 0));
        var queries = cat(incoming.Select(b => b[1]).ToArray(), 0).to(device);
        var keys = cat(incoming.Select(b => b[3]).ToArray(), 0).to(device);
        var values = cat(incoming.Select(b => b[4]).ToArray(), 0).to(device);
        var allQueries = queryMeta.SelectMany(m => m).ToArray();
        var o = zeros(allQueries.Length, values.shape[1], device: device);
        var lse = zeros(allQueries.Length, device: device);
        foreach (var row in allQueries.Select(x => x[1]).Distinct())
        {
            var qi = Enumerable.Range(0, allQueries.Length).Where(j => allQueries[j][1] == row).Select(j => (long)j).ToArray();
            var ki = Enumerable.Range(0, keyMeta.Length).Where(j => keyMeta[j][1] == row).Select(j => (long)j).ToArray();
            using var qIndex = tensor(qi, device: device);
            using var kIndex = tensor(ki, device: device);
            using var part = RoutingAttention.Clustered(causal, queries.index_select(0, qIndex), keys.index_select(0, kIndex), values.index_select(0, kIndex),
                [.. qi.Select(j => allQueries[j][0])], [.. qi.Select(j => allQueries[j][2])], [.. ki.Select(j => keyMeta[j][0])], [.. ki.Select(j => keyMeta[j][2])]);
            o.index_copy_(0, qIndex, part.Output);
            lse.index_copy_(0, qIndex, part.Lse!);
        }
        var answers = new Tensor[2 * incoming.Length];
        long first = 0;
        for (var s = 0; s < incoming.Length; s++)
        {
            var count = queryMeta[s].Length;
            answers[2 * s] = o.narrow(0, first, count).clone();
            answers[2 * s + 1] = lse.narrow(0, first, count).clone();
            first += count;
        }
        return answers;
    }

    private static async Task SendAndDisposeAsync(ShardContext c, int to, string detail, Tensor x)
    {
        using (x) await c.SendAsync(to, c.Tag("alltoall", detail), x).ConfigureAwait(false);
    }

    private static async Task<Tensor[]> ReceiveAsync(ShardContext c, int from, string name, int count, params string[] parts)
    {
        var received = new Tensor[count];
        for (var i = 0; i < count; i++)
        {
            var detail = parts.Length > 0 ? $"{name}/{parts[i]}" : $"{name}/{i}";
            received[i] = await c.Ring.ReceiveAsync(from, c.Tag("alltoall", detail), c.Cancellation).ConfigureAwait(false);
        }
        return received;
    }
}
