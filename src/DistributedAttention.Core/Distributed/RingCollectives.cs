using DistributedAttention.Core.Runtime;
using DistributedAttention.Diagnostics;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Collectives over a ring of shards, built only from messages between ring neighbours:
/// halo, all-gather, all-reduce (with any associative combine: sum, or the lse merge of
/// partial attention) and exclusive prefix scan. Every shard of the ring calls the same
/// collective with the same tag; tensors are (bh, rows, width) with rows along dim 1.
/// Returned tensors belong to the caller. Every piece of tensor work (slices, joins, combines,
/// device moves, and the transport's copy of what is sent) runs on the shard's
/// <see cref="IComputeExecutor"/>, never on the thread an await resumed on: on a GPU each device
/// is driven from its one compute thread, and TorchSharp's dispose scopes are per thread.
/// </summary>
public static class RingCollectives
{
    /// <summary>
    /// Halo exchange: shard s gets the <c>need(s).Left</c> rows just before its first row and
    /// the <c>need(s).Right</c> rows just after its last. A halo wider than a neighbour is
    /// forwarded through it (several hops), so any window width works.
    /// </summary>
    /// <param name="ring">This shard's transport.</param>
    /// <param name="executor">Where this shard's tensor work runs.</param>
    /// <param name="local">(bh, rows, w) this shard's rows.</param>
    /// <param name="need">Halo sizes every shard wants, already clipped to the sequence.</param>
    /// <param name="tag">Unique tag of this exchange ("halo/…").</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    public static async Task<(Tensor Left, Tensor Right)> HaloAsync(IRingTransport ring, IComputeExecutor executor, Tensor local, Func<int, (long Left, long Right)> need, string tag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(need);
        var layout = ring.Layout;
        var p = layout.Count;
        // reachLeft[s]: earliest position that shard s or any later shard needs from before start(s).
        var reachLeft = new long[p + 1];
        var reachRight = new long[p + 1];
        reachLeft[p] = long.MaxValue;
        for (var t = p - 1; t >= 0; t--) reachLeft[t] = Math.Min(reachLeft[t + 1], layout.Start(t) - need(t).Left);
        reachRight[0] = long.MinValue;
        for (var t = 0; t < p; t++) reachRight[t + 1] = Math.Max(reachRight[t], layout.End(t) + need(t).Right);

        using var span = CollectiveSpan.Start(ring, tag);
        var leftFlow = FlowAsync(ring, executor, local, reachLeft, reachRight, rightwards: true, tag + "/r", cancellationToken);
        var rightFlow = FlowAsync(ring, executor, local, reachLeft, reachRight, rightwards: false, tag + "/l", cancellationToken);
        Tensor? fromLeft = null, fromRight = null;
        try
        {
            fromLeft = await leftFlow.ConfigureAwait(false);
            fromRight = await rightFlow.ConfigureAwait(false);
            var (l, r) = need(ring.Shard);
            var (fl, fr) = (fromLeft, fromRight);
            return await executor.RunAsync(() =>
            {
                using var left = fl.narrow(1, fl.shape[1] - l, l);
                using var right = fr.narrow(1, 0, r);
                return (left.contiguous(), right.contiguous());
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            span.Fail(e);
            throw;
        }
        finally
        {
            fromLeft?.Dispose();
            fromRight?.Dispose();
        }
    }

    /// <summary>
    /// One direction of the halo: rightwards, shard s receives positions [reachLeft[s], start(s))
    /// from s−1 and passes on what s+1 needs; leftwards mirrors it. Returns what was received.
    /// </summary>
    private static async Task<Tensor> FlowAsync(IRingTransport ring, IComputeExecutor executor, Tensor local, long[] reachLeft, long[] reachRight, bool rightwards, string tag, CancellationToken cancellationToken)
    {
        var layout = ring.Layout;
        var s = ring.Shard;
        var (start, end) = (layout.Start(s), layout.End(s));
        var next = rightwards ? s + 1 : s - 1;
        var prev = rightwards ? s - 1 : s + 1;
        var hasNext = next >= 0 && next < layout.Count;
        var hasPrev = prev >= 0 && prev < layout.Count;
        // Rows the neighbour downstream needs from us (absolute [lo, hi)), and rows we need from upstream.
        var (sendLo, sendHi) = !hasNext ? (0L, 0L) : rightwards ? (Math.Max(reachLeft[next], 0), end) : (start, Math.Min(reachRight[next + 1], layout.Length));
        var (recvLo, recvHi) = !hasPrev ? (start, start) : rightwards ? (Math.Max(reachLeft[s], 0), start) : (end, Math.Min(reachRight[s + 1], layout.Length));
        var sending = hasNext && sendHi > sendLo;
        var receiving = hasPrev && recvHi > recvLo;
        var ownOnly = sendLo >= start && sendHi <= end;

        Task? earlySend = null;
        if (sending && ownOnly) earlySend = SendAsync(ring, executor, next, tag, () => local.narrow(1, sendLo - start, sendHi - sendLo), cancellationToken);
        var received = receiving
            ? await ReceiveAsync(ring, executor, prev, tag, local.device, cancellationToken).ConfigureAwait(false)
            : await executor.RunAsync(() => empty(local.shape[0], 0, local.shape[2], dtype: local.dtype, device: local.device), cancellationToken).ConfigureAwait(false);
        try
        {
            if (sending && !ownOnly)
            {
                // Forward: what came from upstream, then our own rows, cut to the downstream need.
                var joinedStart = rightwards ? recvLo : start;
                await SendAsync(ring, executor, next, tag, () =>
                {
                    using var joined = rightwards ? cat([received, local], 1) : cat([local, received], 1);
                    return joined.narrow(1, sendLo - joinedStart, sendHi - sendLo);
                }, cancellationToken).ConfigureAwait(false);
            }
            if (earlySend is not null) await earlySend.ConfigureAwait(false);
            return received;
        }
        catch
        {
            received.Dispose();
            throw;
        }
    }

    /// <summary>All-gather: every shard gets every shard's rows, concatenated in shard order.</summary>
    /// <param name="ring">This shard's transport.</param>
    /// <param name="executor">Where this shard's tensor work runs.</param>
    /// <param name="local">(bh, rows, w) this shard's rows (rows may be 0).</param>
    /// <param name="tag">Unique tag ("allgather/…").</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    public static async Task<Tensor> AllGatherAsync(IRingTransport ring, IComputeExecutor executor, Tensor local, string tag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(local);
        var (p, s) = (ring.Layout.Count, ring.Shard);
        using var span = CollectiveSpan.Start(ring, tag);
        var pieces = new Tensor?[p];
        try
        {
            pieces[s] = await executor.RunAsync(local.alias, cancellationToken).ConfigureAwait(false);
            // Step t: pass on the piece of shard s−t+1 and receive the piece of shard s−t.
            for (var t = 1; t < p; t++)
            {
                var send = SendAsync(ring, executor, (s + 1) % p, $"{tag}/{t}", pieces[(s - t + 1 + p) % p]!, cancellationToken);
                var received = await ring.ReceiveAsync((s - 1 + p) % p, $"{tag}/{t}", cancellationToken).ConfigureAwait(false);
                pieces[(s - t + p) % p] = received;
                await send.ConfigureAwait(false);
            }
            return await executor.RunAsync(() =>
            {
                var onDevice = pieces.Select(x => DeviceMoves.View(x!, local.device)).ToArray();
                var result = cat(onDevice, 1);
                foreach (var x in onDevice) x.Dispose();
                return result;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            span.Fail(e);
            throw;
        }
        finally
        {
            foreach (var x in pieces) x?.Dispose();
        }
    }

    /// <summary>
    /// All-reduce: combines every shard's parts in shard order (0, 1, …, P−1) around the ring,
    /// then passes the total back round so every shard returns the same tensors.
    /// </summary>
    /// <param name="ring">This shard's transport.</param>
    /// <param name="executor">Where this shard's tensor work runs (<paramref name="combine"/> too).</param>
    /// <param name="parts">This shard's contribution (one or more tensors).</param>
    /// <param name="combine">Associative combine of (accumulated, next); returns new tensors.</param>
    /// <param name="tag">Unique tag ("reduce/…" or "reduce-merge/…").</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    public static async Task<Tensor[]> AllReduceAsync(IRingTransport ring, IComputeExecutor executor, Tensor[] parts, Func<Tensor[], Tensor[], Tensor[]> combine, string tag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(combine);
        var (p, s) = (ring.Layout.Count, ring.Shard);
        using var span = CollectiveSpan.Start(ring, tag);
        var device = parts[0].device;
        Tensor[] acc;
        if (s == 0)
        {
            acc = await executor.RunAsync(() => parts.Select(x => x.alias()).ToArray(), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var received = await ReceiveAllAsync(ring, executor, s - 1, $"{tag}/up", parts.Length, device, cancellationToken).ConfigureAwait(false);
            acc = await CombineAsync(executor, combine, received, parts, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            if (s < p - 1)
            {
                await SendAllAsync(ring, executor, s + 1, $"{tag}/up", acc, cancellationToken).ConfigureAwait(false);
                Dispose(acc);
                acc = [];
                // The total comes back from the last shard round the ring: P−1 → 0 → 1 → … → P−2.
                acc = await ReceiveAllAsync(ring, executor, (s - 1 + p) % p, $"{tag}/down", parts.Length, device, cancellationToken).ConfigureAwait(false);
                if (s < p - 2) await SendAllAsync(ring, executor, s + 1, $"{tag}/down", acc, cancellationToken).ConfigureAwait(false);
            }
            else if (p > 1)
            {
                await SendAllAsync(ring, executor, 0, $"{tag}/down", acc, cancellationToken).ConfigureAwait(false);
            }
            return acc;
        }
        catch (Exception e)
        {
            span.Fail(e);
            Dispose(acc);
            throw;
        }
    }

    /// <summary>
    /// Exclusive prefix scan: shard s returns the combination of shards 0..s−1 (shard 0 gets
    /// <paramref name="identity"/>'s result).
    /// </summary>
    /// <param name="ring">This shard's transport.</param>
    /// <param name="executor">Where this shard's tensor work runs (<paramref name="combine"/> and <paramref name="identity"/> too).</param>
    /// <param name="parts">This shard's contribution.</param>
    /// <param name="combine">Associative combine of (prefix, next); returns new tensors.</param>
    /// <param name="identity">Makes the empty prefix (e.g. zeros).</param>
    /// <param name="tag">Unique tag ("prefix-scan/…").</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    public static async Task<Tensor[]> ExclusiveScanAsync(IRingTransport ring, IComputeExecutor executor, Tensor[] parts, Func<Tensor[], Tensor[], Tensor[]> combine, Func<Tensor[]> identity,
        string tag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(combine);
        ArgumentNullException.ThrowIfNull(identity);
        var (p, s) = (ring.Layout.Count, ring.Shard);
        using var span = CollectiveSpan.Start(ring, tag);
        var prefix = s == 0
            ? await executor.RunAsync(identity, cancellationToken).ConfigureAwait(false)
            : await ReceiveAllAsync(ring, executor, s - 1, tag, parts.Length, parts[0].device, cancellationToken).ConfigureAwait(false);
        if (s < p - 1)
        {
            var next = await executor.RunAsync(() => combine(prefix, parts), cancellationToken).ConfigureAwait(false);
            try
            {
                await SendAllAsync(ring, executor, s + 1, tag, next, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Dispose(next);
            }
        }
        return prefix;
    }

    /// <summary>Element-wise sum, the combine of reduce and prefix scan over additive states.</summary>
    public static Tensor[] Sum(Tensor[] a, Tensor[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Zip(b, (x, y) => x.add(y, KeptScalars.One)).ToArray();
    }

    /// <summary>
    /// Sends <paramref name="tensor"/> from the device thread: the transport copies it there, before
    /// the returned task (which then waits for the delivery anywhere).
    /// </summary>
    internal static Task SendAsync(IRingTransport ring, IComputeExecutor executor, int to, string tag, Tensor tensor, CancellationToken cancellationToken) =>
        executor.RunAsync(() => ring.SendAsync(to, tag, tensor, cancellationToken), cancellationToken).Unwrap();

    /// <summary>Sends what <paramref name="make"/> makes on the device thread (e.g. a slice), disposed there once the transport copied it.</summary>
    internal static Task SendAsync(IRingTransport ring, IComputeExecutor executor, int to, string tag, Func<Tensor> make, CancellationToken cancellationToken) =>
        executor.RunAsync(() =>
        {
            using var tensor = make();
            return ring.SendAsync(to, tag, tensor, cancellationToken);
        }, cancellationToken).Unwrap();

    /// <summary>Receives a tensor and moves it to <paramref name="device"/> on the device thread.</summary>
    internal static async Task<Tensor> ReceiveAsync(IRingTransport ring, IComputeExecutor executor, int from, string tag, Device device, CancellationToken cancellationToken)
    {
        var received = await ring.ReceiveAsync(from, tag, cancellationToken).ConfigureAwait(false);
        if (DeviceMoves.SameDevice(received, device)) return received;
        try
        {
            return await executor.RunAsync(() => DeviceMoves.Take(received, device), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            received.Dispose();
            throw;
        }
    }

    internal static async Task SendAllAsync(IRingTransport ring, IComputeExecutor executor, int to, string tag, Tensor[] parts, CancellationToken cancellationToken)
    {
        for (var i = 0; i < parts.Length; i++) await SendAsync(ring, executor, to, $"{tag}/{i}", parts[i], cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<Tensor[]> ReceiveAllAsync(IRingTransport ring, IComputeExecutor executor, int from, string tag, int count, Device device, CancellationToken cancellationToken)
    {
        var result = new Tensor[count];
        try
        {
            for (var i = 0; i < count; i++) result[i] = await ReceiveAsync(ring, executor, from, $"{tag}/{i}", device, cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch
        {
            Dispose(result);
            throw;
        }
    }

    /// <summary>Combines on the device thread and disposes <paramref name="received"/> there.</summary>
    private static Task<Tensor[]> CombineAsync(IComputeExecutor executor, Func<Tensor[], Tensor[], Tensor[]> combine, Tensor[] received, Tensor[] parts, CancellationToken cancellationToken) =>
        executor.RunAsync(() =>
        {
            try
            {
                return combine(received, parts);
            }
            finally
            {
                Dispose(received);
            }
        }, cancellationToken);

    internal static void Dispose(Tensor?[] tensors)
    {
        foreach (var t in tensors) t?.Dispose();
    }
}
