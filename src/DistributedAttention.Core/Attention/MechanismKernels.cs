using DistributedAttention.Contracts;
using DistributedAttention.Core.Distributed;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Attention;

/// <summary>
/// A mechanism's two kernels: over the whole sequence on one device, and for one shard of a ring
/// (local compute plus the collectives it needs). Its descriptor (name, parameters, checks) is in
/// <see cref="MechanismRegistry"/>.
/// </summary>
/// <param name="Kind">The mechanism.</param>
/// <param name="Forward">(spec, q, k, v) → (o, lse) on one device; shapes (batch, heads, n, d).</param>
/// <param name="Shard">(context, q, k, v) → this shard's rows, flattened to (batch·heads, rows, dv).</param>
/// <param name="ShardTakesInputsAsGiven">
/// Whether <paramref name="Shard"/> takes q, k, v as given (batch, heads, rows, d); otherwise it
/// takes them flattened, the queries already scaled (every exact softmax kernel does).
/// </param>
internal sealed record MechanismKernel(AttentionKind Kind, Func<AttentionSpec, Tensor, Tensor, Tensor, AttentionResult> Forward,
    Func<ShardContext, Tensor, Tensor, Tensor, Task<AttentionResult>> Shard, bool ShardTakesInputsAsGiven = false);

/// <summary>Every mechanism's kernels, one line each.</summary>
internal static class MechanismKernels
{
    private static readonly MechanismKernel[] All =
    [
        new(AttentionKind.Full, (spec, q, k, v) => FullAttention.Forward(q, k, v, spec.Causal, spec.SoftmaxScale, softCap: spec.LogitSoftCap), ShardFull.ForwardAsync),
        new(AttentionKind.Window, WindowAttention.Forward, ShardWindow.ForwardAsync),
        new(AttentionKind.BigBird, WindowAttention.Forward, ShardWindow.ForwardAsync),
        new(AttentionKind.Linformer, LinformerAttention.Forward, ShardLinformer.ForwardAsync),
        new(AttentionKind.Performer, PerformerAttention.Forward, ShardPerformer.ForwardAsync, ShardTakesInputsAsGiven: true),
        new(AttentionKind.TransformerXl, SegmentMemoryAttention.Forward, ShardSegmentMemory.ForwardAsync),
        new(AttentionKind.Compressive, SegmentMemoryAttention.Forward, ShardSegmentMemory.ForwardAsync),
        new(AttentionKind.Luna, LunaAttention.Forward, ShardLuna.ForwardAsync),
        new(AttentionKind.Routing, RoutingAttention.Forward, ShardRouting.ForwardAsync),
    ];

    /// <summary>The kinds that have kernels (a test checks these are exactly the registry's).</summary>
    public static IEnumerable<AttentionKind> Kinds => All.Select(k => k.Kind);

    /// <summary>The kernels of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentException">No kernels are registered for it.</exception>
    public static MechanismKernel For(AttentionKind kind) =>
        Array.Find(All, k => k.Kind == kind) ?? throw new ArgumentException($"unknown attention kind {kind}.");
}
