using DistributedAttention.Core.Runtime;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>
/// Backward passes: for every mechanism, the gradients of q, k and v through the production
/// kernel equal those through its dense masked reference (or, for Linformer, Performer and Luna,
/// the plain formula with production's seeded projection, features or packed queries), for a loss that weighs every
/// output element (and every finite lse) with seeded random weights. Training builds on these.
/// </summary>
public sealed class GradientTests
{
    public static TheoryData<string> Masked => new(MaskedSpecs().Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Masked))]
    public void Gradients_equal_the_dense_masked_reference(string name)
    {
        var (_, spec, n) = MaskedSpecs().Single(s => s.Name == name);
        var (q, k, v) = TensorAssert.RandomQkv(n * 7 + 3, 2, 2, n, 8);
        Func<Tensor, Tensor, Tensor, AttentionResult> reference = spec.Kind switch
        {
            AttentionKind.Compressive => (a, b, c) => DenseOracle.Compressive(spec, a, b, c),
            AttentionKind.Routing => (a, b, c) => DenseOracle.Routing(spec, a, b, c),
            _ => (a, b, c) => DenseOracle.Forward(spec, a, b, c),
        };
        AssertSameGradients(reference, (a, b, c) => SingleDeviceAttention.Forward(spec, a, b, c), q, k, v, name);
    }

    [Theory]
    [MemberData(nameof(WindowAttentionTests.Edges), MemberType = typeof(WindowAttentionTests))]
    public void Window_gradients_equal_the_dense_reference_on_the_forward_edges(int n, int? left, int? right, int dilation, bool causal, long[] globals)
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = left, WindowRight = right, Dilation = dilation, Causal = causal, GlobalPositions = globals };
        var (q, k, v) = TensorAssert.RandomQkv(n * 13 + dilation, 1, 2, n, 8);
        AssertSameGradients((a, b, c) => DenseOracle.Forward(spec, a, b, c), (a, b, c) => SingleDeviceAttention.Forward(spec, a, b, c), q, k, v, $"window n={n} ({left},{right}) δ={dilation}");
    }

    [Theory]
    [MemberData(nameof(Masked))]
    public void A_forward_that_records_gradients_gives_the_same_result_as_one_that_does_not(string name)
    {
        // The kernels step in place only when nothing is recorded; both paths must compute the same.
        var (_, spec, n) = MaskedSpecs().Single(s => s.Name == name);
        var (q, k, v) = TensorAssert.RandomQkv(n * 5 + 1, 2, 2, n, 8);
        using var plain = SingleDeviceAttention.Forward(spec, q, k, v);
        using var qr = q.detach().clone().requires_grad_(true);
        using var recorded = SingleDeviceAttention.Forward(spec, qr, k, v);
        Assert.True(recorded.Output.requires_grad, "the recorded forward must carry a gradient function.");
        using var output = recorded.Output.detach();
        using var lse = recorded.Lse?.detach();
        TensorAssert.SameResult(plain, new AttentionResult(output, lse), atol: 1e-6);
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(150, 16)]
    public void Linformer_gradients_equal_its_formula(int n, int projected)
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Linformer, ProjectedLength = projected, Seed = 7 };
        var (q, k, v) = TensorAssert.RandomQkv(n, 1, 2, n, 8);
        using var e = LinformerProjection.Columns(7, projected, n, 0, n);
        using var all = ones(n, projected, dtype: @bool);
        AssertSameGradients(
            (a, b, c) => DenseOracle.Attend(a, e.matmul(b), e.matmul(c), all, 1 / Math.Sqrt(8)),
            (a, b, c) => SingleDeviceAttention.Forward(spec, a, b, c), q, k, v, $"linformer n={n}");
    }

    [Theory]
    [InlineData(1, 4, false)]
    [InlineData(150, 16, false)]
    [InlineData(1, 4, true)]
    [InlineData(75, 8, true)]
    public void Luna_gradients_equal_its_formula(int n, int packed, bool causal)
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Luna, PackedLength = packed, Seed = 13, Causal = causal };
        var (q, k, v) = TensorAssert.RandomQkv(n + 2, 1, 2, n, 8);
        AssertSameGradients((a, b, c) => DenseOracle.Luna(spec, a, b, c), (a, b, c) => SingleDeviceAttention.Forward(spec, a, b, c), q, k, v, $"luna n={n} causal={causal}");
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(120, false)]
    [InlineData(300, true)]
    public void Performer_gradients_equal_its_formula(int n, bool causal)
    {
        const int d = 16, features = 24;
        var spec = new AttentionSpec { Kind = AttentionKind.Performer, Features = features, Causal = causal, Seed = 11 };
        var (q0, k0, v) = TensorAssert.RandomQkv(n + 5, 1, 2, n, d);
        // Moderate inputs keep FAVOR+'s exponentials (and their float32 gradients) well conditioned.
        using var q = q0.mul(0.5);
        using var k = k0.mul(0.5);
        using var omega = PerformerFeatures.Omega(11, features, d);
        AssertSameGradients(
            (a, b, c) => new AttentionResult(PlainFavor(a, b, c, omega, 1 / Math.Sqrt(d), causal), null),
            (a, b, c) => SingleDeviceAttention.Forward(spec, a, b, c), q, k, v, $"performer n={n} causal={causal}", atol: 1e-4);
    }

    private static IEnumerable<(string Name, AttentionSpec Spec, int N)> MaskedSpecs()
    {
        yield return ("full", new AttentionSpec { Kind = AttentionKind.Full }, 70);
        yield return ("full-causal", new AttentionSpec { Kind = AttentionKind.Full, Causal = true }, 70);
        yield return ("full-one-token", new AttentionSpec { Kind = AttentionKind.Full, Causal = true }, 1);
        yield return ("window", new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 9, WindowRight = 3 }, 130);
        yield return ("window-causal-globals", new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 8, WindowRight = 0, Causal = true, GlobalPositions = [0, 17, 199] }, 200);
        yield return ("window-n-below-window", new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 16, WindowRight = 16 }, 5);
        yield return ("strided", new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 5, WindowRight = 5, Dilation = 4, Causal = true, GlobalPositions = [0, 149] }, 150);
        yield return ("longformer", new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 8, WindowRight = 8, GlobalPositions = [0, 63, 64, 199] }, 200);
        yield return ("bigbird", new AttentionSpec { Kind = AttentionKind.BigBird, WindowLeft = 8, WindowRight = 8, BlockSize = 16, RandomBlocks = 2, GlobalPositions = [5, 90] }, 170);
        yield return ("bigbird-causal", new AttentionSpec { Kind = AttentionKind.BigBird, WindowLeft = 20, WindowRight = 0, Causal = true, BlockSize = 8, RandomBlocks = 3, GlobalPositions = [3, 100] }, 150);
        yield return ("transformer-xl", new AttentionSpec { Kind = AttentionKind.TransformerXl, SegmentLength = 16, MemoryLength = 20 }, 90);
        yield return ("routing", new AttentionSpec { Kind = AttentionKind.Routing, Clusters = 4 }, 90);
        yield return ("routing-causal", new AttentionSpec { Kind = AttentionKind.Routing, Clusters = 3, Causal = true }, 80);
        yield return ("compressive", new AttentionSpec { Kind = AttentionKind.Compressive, SegmentLength = 12, MemoryLength = 8, CompressionRate = 4 }, 75);
    }

    /// <summary>The same seeded weighted loss through both paths; every input's gradient must match.</summary>
    private static void AssertSameGradients(Func<Tensor, Tensor, Tensor, AttentionResult> reference, Func<Tensor, Tensor, Tensor, AttentionResult> production, Tensor q, Tensor k, Tensor v, string what, double atol = 2e-5)
    {
        var expected = Gradients(reference, q, k, v);
        var actual = Gradients(production, q, k, v);
        try
        {
            string[] names = ["q", "k", "v"];
            for (var i = 0; i < 3; i++) TensorAssert.Close(expected[i], actual[i], atol, rtol: 1e-3, what: $"{what}: d{names[i]}");
        }
        finally
        {
            foreach (var t in expected.Concat(actual)) t.Dispose();
        }
    }

    private static Tensor[] Gradients(Func<Tensor, Tensor, Tensor, AttentionResult> attention, Tensor q, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        Tensor[] inputs = [q.detach().clone().requires_grad_(true), k.detach().clone().requires_grad_(true), v.detach().clone().requires_grad_(true)];
        using var result = attention(inputs[0], inputs[1], inputs[2]);
        using var generator = new Generator(99);
        var loss = result.Output.mul(randn(result.Output.shape, generator: generator)).sum();
        if (result.Lse is { } lse)
        {
            // Rows that see no key have lse = −inf; they carry no gradient.
            var finite = lse.isfinite();
            loss = loss.add(lse.masked_fill(finite.logical_not(), KeptScalars.Zero).mul(randn(lse.shape, generator: generator)).sum());
        }
        loss.backward();
        return [.. inputs.Select(t => t.grad!.detach().clone().MoveToOuterDisposeScope())];
    }

    /// <summary>FAVOR+ without stabilisers: φ(x) = exp(ω·x' − |x'|²/2)/√m, A = φ(Q)φ(K)ᵀ, o = A·V / A·1.</summary>
    private static Tensor PlainFavor(Tensor q, Tensor k, Tensor v, Tensor omega, double scale, bool causal)
    {
        Tensor Phi(Tensor x)
        {
            var xs = x.to(float64).mul(Math.Sqrt(scale));
            return xs.matmul(omega.to(float64).T).sub(xs.square().sum(-1, keepdim: true).div(2)).exp().div(Math.Sqrt(omega.shape[0]));
        }
        var a = Phi(q).matmul(Phi(k).transpose(-2, -1));
        if (causal) a = a.tril();
        return a.matmul(v.to(float64)).div(a.sum(-1, keepdim: true)).to(float32);
    }
}
