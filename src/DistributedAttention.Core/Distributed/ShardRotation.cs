using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Diagnostics;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// The rotate collective (Ring Attention): every shard's K/V block travels once round the ring
/// in P−1 steps; each shard computes a partial against each visiting block while the next
/// block is in flight, and merges the partials with their lse.
/// </summary>
internal static class ShardRotation
{
    /// <summary>
    /// Merged partial over every shard's keys, <paramref name="partial"/>(k, v, keyStart)
    /// computing one block's partial; <paramref name="skip"/>(owner) leaves a block out (causal).
    /// </summary>
    public static async Task<AttentionResult> AccumulateAsync(ShardContext c, Tensor kf, Tensor vf, string name,
        Func<Tensor, Tensor, long, AttentionResult> partial, Func<int, bool>? skip)
    {
        var (p, s) = (c.Layout.Count, c.Shard);
        using var span = CollectiveSpan.Start(c.Ring, c.Tag("rotate", name));
        var (k, v) = await c.Run(() => (kf.alias(), vf.alias())).ConfigureAwait(false);
        AttentionResult? acc = null;
        try
        {
            for (var t = 0; t < p; t++)
            {
                var owner = (s - t + p) % p;
                Task send = Task.CompletedTask;
                Task<Tensor>? nextK = null, nextV = null;
                if (t < p - 1)
                {
                    // Pass the block on before computing with it, so the transfer overlaps the compute.
                    send = SendBothAsync(c, (s + 1) % p, $"{name}/{t}", k, v);
                    nextK = c.ReceiveAsync((s - 1 + p) % p, c.Tag("rotate", $"{name}/{t}/k"), kf.device);
                    nextV = c.ReceiveAsync((s - 1 + p) % p, c.Tag("rotate", $"{name}/{t}/v"), vf.device);
                }
                if (skip is null || !skip(owner))
                {
                    var (kk, vv) = (k, v);
                    var part = await c.Run(() => partial(kk, vv, c.Layout.Start(owner))).ConfigureAwait(false);
                    acc = acc is null ? part : await c.MergeAsync(acc, part).ConfigureAwait(false);
                }
                await send.ConfigureAwait(false);
                if (nextK is null) break;
                var receivedK = await nextK.ConfigureAwait(false);
                var receivedV = await nextV!.ConfigureAwait(false);
                k.Dispose();
                v.Dispose();
                (k, v) = (receivedK, receivedV);
            }
            return acc ?? await c.Run(() => EmptyPartial(c, vf)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            span.Fail(e);
            acc?.Dispose();
            throw;
        }
        finally
        {
            k.Dispose();
            v.Dispose();
        }
    }

    private static async Task SendBothAsync(ShardContext c, int to, string detail, Tensor k, Tensor v)
    {
        var sendK = c.SendAsync(to, c.Tag("rotate", detail + "/k"), k);
        var sendV = c.SendAsync(to, c.Tag("rotate", detail + "/v"), v);
        await sendK.ConfigureAwait(false);
        await sendV.ConfigureAwait(false);
    }

    private static AttentionResult EmptyPartial(ShardContext c, Tensor vf)
    {
        var rows = c.End - c.Start;
        return new AttentionResult(zeros(vf.shape[0], rows, vf.shape[2], dtype: vf.dtype, device: vf.device),
            full(vf.shape[0], rows, KeptScalars.NegativeInfinity, dtype: vf.dtype, device: vf.device));
    }
}
