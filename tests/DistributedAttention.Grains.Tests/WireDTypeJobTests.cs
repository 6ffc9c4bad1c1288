using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Testing;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// Whole jobs with fp16 and bf16 on the wire: the result stays within the error that rounding the
/// exchanged tensors can cause (bound below), and every collective moves exactly half the bytes
/// of the fp32 run (the fp32 backup of each shard's input for recovery excepted).
/// </summary>
/// <remarks>
/// <para>The bound. Only tensors that cross between shards are rounded, each element x to
/// x(1+δ), |δ| ≤ u, u = 2⁻¹¹ for fp16 and 2⁻⁸ for bf16 (round to nearest; fp16 subnormals, below
/// 6e-5, add at most 2⁻²⁵ absolute, inside the fp32 tolerance). A key row k_j rounded moves its
/// score s_ij = scale·q_i·k_j by at most u·A_ij with A_ij = scale·Σ_d |q_id||k_jd|; a global query
/// row is all-gathered, so its own scores can move by that much again. With p_ij the exact
/// softmax weights, o_i = Σ_j p_ij v_j, to first order
/// Δo_i = Σ_j p_ij Δs_ij (v_j − o_i) + Σ_j p_ij Δv_j, so per element
/// |Δo_ic| ≤ c_i·u·Σ_j p_ij A_ij (|v_jc| + |o_ic|) + u·Σ_j p_ij |v_jc| and
/// |Δlse_i| ≤ c_i·u·Σ_j p_ij A_ij, where c_i is 2 for global query rows and 1 otherwise.</para>
/// <para>Global query rows are also merged round the ring from per-shard partials (o_s, lse_s)
/// that cross P times at most (P − 1 hops up, one down), each rounding lse_s by up to u·L_i,
/// L_i = max(|lse_i|, max_j scale·|q_i·k_j|), and o_s by u·max_j|v_jc|; moving lse_s by η changes
/// o_i by at most 2η·range_j(v_jc). That adds P·u·(2·L_i·range_j v_jc + max_j |v_jc|) to those
/// rows' output and P·u·L_i to their lse. It is loose (bf16 rounds an lse near 6 by up to 0.016),
/// but it applies to the global rows only; every other row gets the tight bound above.</para>
/// <para>The test allows 1.5 × the bound (second-order terms are below 2·u·max A_ij ≈ 6 % of the
/// first-order ones for bf16 here; asserted) plus the fp32 comparison tolerance of
/// <see cref="DistributedJobTests"/>, and reports how much of the bound the run used.</para>
/// </remarks>
public sealed class WireDTypeJobTests(JobCluster fixture, ITestOutputHelper output) : IClassFixture<JobCluster>
{
    private const int N = 203;
    private const int Shards = 3;
    private static readonly long[] Globals = [0, 5, 40, 41, 77, 120, 150, 190, 202];

    public static readonly Dictionary<string, AttentionSpec> Specs = new()
    {
        ["window"] = new() { Kind = AttentionKind.Window, WindowLeft = 9, WindowRight = 5, GlobalPositions = Globals },
        ["full"] = new() { Kind = AttentionKind.Full },
    };

    public static IEnumerable<object[]> Cases() =>
        from name in Specs.Keys from wire in new[] { WireDType.Float16, WireDType.BFloat16 } select new object[] { name, wire };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Reduced_precision_wire_stays_within_its_rounding_bound_and_halves_the_traffic(string mechanism, WireDType wire)
    {
        var spec = Specs[mechanism];
        using var generator = new TorchSharp.torch.Generator(29);
        using var q = randn(2, 2, N, 16, generator: generator);
        using var k = randn(2, 2, N, 16, generator: generator);
        using var v = randn(2, 2, N, 8, generator: generator);
        using var expected = SingleDeviceAttention.Forward(spec, q, k, v);

        var sizes = DistributedJobTests.UnevenSizes(N, Shards);
        using var fp32 = await fixture.Jobs.RunAttentionAsync(spec, q, k, v, new JobOptions(Shards, sizes, ChunkBytes: 4096), null, default);
        using var reduced = await fixture.Jobs.RunAttentionAsync(spec, q, k, v, new JobOptions(Shards, sizes, Wire: wire, ChunkBytes: 4096), null, default);
        Assert.Equal(JobState.Completed, reduced.Status.State);

        // (a) Within the rounding bound of the exchanged tensors.
        var u = wire == WireDType.Float16 ? Math.Pow(2, -11) : Math.Pow(2, -8);
        using (var scope = NewDisposeScope())
        {
            var (outputBound, lseBound, secondOrder) = Bound(spec, q, k, v, u);
            Assert.True(secondOrder < 0.1, $"the perturbation is too large for a first-order bound (2·u·max A = {secondOrder:F3}).");
            var usedO = CheckWithin(expected.Output, reduced.Output, outputBound, $"{mechanism} with {wire} on the wire: o");
            var usedL = CheckWithin(expected.Lse!, reduced.Lse!, lseBound, $"{mechanism} with {wire} on the wire: lse");
            output.WriteLine($"{mechanism}/{wire}: |Δo| max {usedO.MaxDiff:E2} (used {usedO.Fraction:P1} of its bound), |Δlse| max {usedL.MaxDiff:E2} (used {usedL.Fraction:P1})");
        }
        // The fp32 run is the exact one (same check as the other job tests).
        DistributedJobTests.AssertClose(expected.Output, fp32.Output, $"{mechanism} with fp32 on the wire: o");

        // (b) Every collective moves exactly half the bytes: the same tensors, two bytes an element.
        // The backup of each shard's input on its neighbour is not an exchange: it is kept in fp32
        // so that recovery recomputes a lost shard exactly, whatever the wire type.
        var full = fp32.Status.BytesByCollective;
        var half = reduced.Status.BytesByCollective;
        output.WriteLine($"fp32: {string.Join(", ", full.Select(e => $"{e.Key} {e.Value}"))}; {wire}: {string.Join(", ", half.Select(e => $"{e.Key} {e.Value}"))}");
        Assert.Equal(full.Keys.Order(), half.Keys.Order());
        foreach (var (collective, bytes) in full)
        {
            if (collective == "backup") Assert.Equal(bytes, half[collective]);
            else Assert.True(bytes == 2 * half[collective], $"{collective}: {bytes} bytes in fp32, {half[collective]} in {wire}; expected exactly half.");
        }
        if (spec.Kind == AttentionKind.Window)
        {
            Assert.True(full.GetValueOrDefault("halo") > 0, "the window job exchanged no halo.");
            Assert.Equal(full["halo"], 2 * half["halo"]);
        }
        else
        {
            Assert.True(full.GetValueOrDefault("rotate") > 0, "the full-attention job rotated no K/V.");
        }
    }

    /// <summary>
    /// The first-order bounds of the remarks above, per element of o (batch, heads, n, dv) and lse
    /// (batch, heads, n), from the exact softmax weights; and 2·u·max A, the size of the
    /// neglected second-order terms relative to the first-order ones.
    /// </summary>
    private static (Tensor Output, Tensor Lse, double SecondOrder) Bound(AttentionSpec spec, Tensor q, Tensor k, Tensor v, double u)
    {
        var (q64, k64, v64) = (q.to(float64), k.to(float64), v.to(float64));
        var scale = spec.SoftmaxScale ?? 1.0 / Math.Sqrt(q.shape[3]);
        var visible = OracleMasks.Mask(spec, N);
        var scores = q64.matmul(k64.transpose(-2, -1)).mul(scale).masked_fill(visible.logical_not(), double.NegativeInfinity);
        var lse = scores.logsumexp(-1, keepdim: true);
        var p = scores.sub(lse).exp();
        var o = p.matmul(v64);
        var a = q64.abs().matmul(k64.abs().transpose(-2, -1)).mul(scale).masked_fill(visible.logical_not(), 0);

        var globalRow = zeros(N, 1, dtype: float64);
        foreach (var g in GlobalTokens.Positions(spec, N)) globalRow[g, 0] = 1;
        var c = globalRow.add(1); // 2 for global query rows (their q is all-gathered), else 1.
        var pa = p.mul(a);
        var scoreTerm = pa.matmul(v64.abs()).add(pa.sum(-1, keepdim: true).mul(o.abs())).mul(c).mul(u);
        var valueTerm = p.matmul(v64.abs()).mul(u);
        var outputBound = scoreTerm.add(valueTerm);
        var lseBound = pa.sum(-1, keepdim: true).mul(c).mul(u);

        // Global query rows: partials merged round the ring, crossing P times at most.
        var vMax = v64.abs().amax([2], keepdim: true);                              // (b, h, 1, dv)
        var vRange = v64.amax([2], keepdim: true).sub(v64.amin([2], keepdim: true)); // (b, h, 1, dv)
        var level = lse.abs().maximum(a.amax([-1], keepdim: true));                 // L_i, (b, h, n, 1)
        var merge = level.mul(2).mul(vRange).add(vMax).mul(Shards * u).mul(globalRow);
        outputBound = outputBound.add(merge);
        lseBound = lseBound.add(level.mul(Shards * u).mul(globalRow));
        var secondOrder = 2 * u * a.max().item<double>();
        return (outputBound, lseBound.squeeze(-1), secondOrder);
    }

    /// <summary>Asserts |actual − expected| ≤ 1.5·bound + the fp32 tolerance everywhere; returns the largest difference and the largest share of the bound used.</summary>
    private static (double MaxDiff, double Fraction) CheckWithin(Tensor expected, Tensor actual, Tensor bound, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.to(float64);
        var diff = actual.to(float64).sub(e).abs();
        Assert.False(diff.isnan().any().item<bool>(), $"{what}: NaN");
        var fp32Tolerance = e.abs().mul(1e-4).add(3e-5);
        var allowed = bound.mul(1.5).add(fp32Tolerance);
        var excess = diff.sub(allowed).max().item<double>();
        Assert.True(excess <= 0, $"{what}: |diff| exceeds the rounding bound by {excess:E3} (max |diff| {diff.max().item<double>():E3})");
        return (diff.max().item<double>(), diff.div(allowed).max().item<double>());
    }
}
