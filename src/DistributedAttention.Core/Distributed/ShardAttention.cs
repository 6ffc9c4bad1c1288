using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Attention for the rows of one shard of a ring, equal to those rows of the single-device
/// <see cref="SingleDeviceAttention.Forward"/>: each mechanism is local compute plus the ring
/// collectives it needs (see docs/architecture.md for the table). Every shard of the ring calls
/// this with the same spec and scope at the same time.
/// </summary>
public static class ShardAttention
{
    /// <summary>Computes this shard's rows of the attention output.</summary>
    /// <param name="spec">Mechanism and parameters (positions are absolute in the whole sequence).</param>
    /// <param name="q">(batch, heads, rows, d) this shard's queries.</param>
    /// <param name="k">
    /// (batch, kv heads, rows, d) this shard's keys; kv heads divides heads (grouped-query attention).
    /// Full and window attention send them at kv heads (heads / kv heads times fewer bytes) and repeat
    /// them for the query heads only where they are scored; the other mechanisms repeat them first.
    /// </param>
    /// <param name="v">(batch, kv heads, rows, dv) this shard's values.</param>
    /// <param name="ring">This shard's ring transport; its layout gives the rows.</param>
    /// <param name="executor">Where tensor work runs (e.g. the device's compute thread).</param>
    /// <param name="scope">Distinguishes this call's messages from other calls' (e.g. "L3").</param>
    /// <param name="cancellationToken">Cancels waiting for other shards.</param>
    /// <returns>Output (batch, heads, rows, dv) and lse where defined; the caller disposes it.</returns>
    public static async Task<AttentionResult> ForwardAsync(AttentionSpec spec, Tensor q, Tensor k, Tensor v, IRingTransport ring, IComputeExecutor executor,
        string scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(executor);
        spec.Validate();
        HeadLayout.CheckInputs(q, k, v, groupedKeys: true);
        var rows = ring.Layout.Size(ring.Shard);
        if (q.shape[2] != rows || k.shape[2] != rows)
            throw new ArgumentException($"shard {ring.Shard} holds {rows} rows, but q has {q.shape[2]} and k {k.shape[2]}.");

        using var bag = new TensorBag();
        var groups = q.shape[1] / k.shape[1];
        var groupsOnWire = groups > 1 && KeepsGroupsOnWire(spec);
        if (groups > 1 && !groupsOnWire)
        {
            (k, v) = await executor.RunAsync(() => (HeadLayout.RepeatGroups(k, groups), HeadLayout.RepeatGroups(v, groups)), cancellationToken).ConfigureAwait(false);
            bag.Add(k);
            bag.Add(v);
        }
        var context = new ShardContext(spec, ring, executor, scope, bag, cancellationToken) { KvGroups = groupsOnWire ? groups : 1 };
        var (batch, heads) = (q.shape[0], q.shape[1]);
        var kernel = MechanismKernels.For(spec.Kind);
        AttentionResult flat;
        if (kernel.ShardTakesInputsAsGiven)
        {
            flat = await kernel.Shard(context, q, k, v).ConfigureAwait(false);
        }
        else
        {
            var (qs, kf, vf) = await executor.RunAsync(() =>
            {
                using var s = NewDisposeScope();
                return (HeadLayout.ScaledQueries(q, HeadLayout.Scale(spec, q)).MoveToOuterDisposeScope(),
                    HeadLayout.Flatten(k).MoveToOuterDisposeScope(), HeadLayout.Flatten(v).MoveToOuterDisposeScope());
            }, cancellationToken).ConfigureAwait(false);
            bag.Add(qs);
            bag.Add(kf);
            bag.Add(vf);
            flat = await kernel.Shard(context, qs, kf, vf).ConfigureAwait(false);
        }
        using (flat)
        {
            return await executor.RunAsync(() =>
            {
                var o = flat.Output.reshape(batch, heads, rows, flat.Output.shape[2]).contiguous();
                var lse = flat.Lse?.reshape(batch, heads, rows).contiguous();
                return new AttentionResult(o, lse);
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the mechanism's shard code takes keys and values at kv heads (full, and window without global tokens).</summary>
    internal static bool KeepsGroupsOnWire(AttentionSpec spec) =>
        spec.Kind == AttentionKind.Full || (spec.Kind == AttentionKind.Window && spec.GlobalPositions.Count == 0);
}

/// <summary>What every mechanism's shard code needs.</summary>
/// <remarks>
/// <see cref="KvGroups"/> &gt; 1: keys and values are held and sent at kv heads, flattened to
/// (batch · kv heads, rows, d); a kernel repeats them for the query heads (<see cref="ExpandKv"/>)
/// only inside the work item that scores them.
/// </remarks>
internal sealed record ShardContext(AttentionSpec Spec, IRingTransport Ring, IComputeExecutor Executor, string Scope, TensorBag Bag, CancellationToken Cancellation)
{
    public ShardLayout Layout => Ring.Layout;

    public int Shard => Ring.Shard;

    public long Start => Layout.Start(Shard);

    public long End => Layout.End(Shard);

    public long Length => Layout.Length;

    public string Tag(string collective, string detail) => $"{collective}/{Scope}/{detail}";

    /// <summary>Query heads per key/value head held here (1 without grouped-query attention).</summary>
    public long KvGroups { get; init; } = 1;

    /// <summary>Flattened keys or values at kv heads, repeated for every query head (an alias when <see cref="KvGroups"/> is 1); call inside a work item.</summary>
    public Tensor ExpandKv(Tensor kv) => HeadLayout.RepeatFlatGroups(kv, KvGroups);

    public Task<T> Run<T>(Func<T> work) => Executor.RunAsync(() =>
    {
        using var scope = NewDisposeScope();
        var result = work();
        return Detach(result);
    }, Cancellation);

    /// <summary>Tensors a work item returns leave its scope; the caller owns them.</summary>
    private static T Detach<T>(T result)
    {
        switch (result)
        {
            case Tensor t:
                t.MoveToOuterDisposeScope();
                break;
            case AttentionResult r:
                r.MoveToOuterDisposeScope();
                break;
            case Tensor[] ts:
                foreach (var t in ts) t.MoveToOuterDisposeScope();
                break;
            case ValueTuple<Tensor, Tensor> pair:
                pair.Item1.MoveToOuterDisposeScope();
                pair.Item2.MoveToOuterDisposeScope();
                break;
        }
        return result;
    }

    /// <summary>Sends <paramref name="tensor"/> to shard <paramref name="to"/>, copied by the transport on the device thread.</summary>
    public Task SendAsync(int to, string tag, Tensor tensor) => RingCollectives.SendAsync(Ring, Executor, to, tag, tensor, Cancellation);

    /// <summary>Receives from shard <paramref name="from"/>, moved to <paramref name="device"/> on the device thread.</summary>
    public Task<Tensor> ReceiveAsync(int from, string tag, Device device) => RingCollectives.ReceiveAsync(Ring, Executor, from, tag, device, Cancellation);

    /// <summary>Merges two partials into a new one and disposes both.</summary>
    public async Task<AttentionResult> MergeAsync(AttentionResult a, AttentionResult b)
    {
        using (a)
        using (b)
        {
            return await Run(() => PartialMerge.Merge(a, b)).ConfigureAwait(false);
        }
    }
}
