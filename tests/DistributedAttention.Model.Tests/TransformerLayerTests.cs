using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests;

public sealed class TransformerLayerTests
{
    private static readonly (long Start, long Length)[] Slices = [(0, 13), (13, 40), (53, 11)];

    [Fact]
    public void ProjectQkv_on_a_slice_at_its_start_position_equals_the_slice_of_the_whole()
    {
        using var model = new TransformerModel(TestModels.Options());
        var layer = model.Layers[1];
        using var x = Tensors.Randn(5, 2, 64, 32);
        using var whole = layer.ProjectQkv(x, 0);
        Assert.Equal([2L, 4L, 64L, 8L], whole.Q.shape);
        foreach (var (start, length) in Slices)
        {
            using var slice = x.narrow(1, start, length);
            using var part = layer.ProjectQkv(slice, start);
            foreach (var (full, piece, name) in new[] { (whole.Q, part.Q, "q"), (whole.K, part.K, "k"), (whole.V, part.V, "v") })
            {
                using var expected = full.narrow(2, start, length);
                Tensors.AssertClose(expected, piece, what: $"{name} of slice at {start}");
            }
        }
    }

    [Fact]
    public void Finish_on_a_slice_equals_the_slice_of_the_whole()
    {
        using var model = new TransformerModel(TestModels.Options());
        var layer = model.Layers[0];
        using var x = Tensors.Randn(6, 2, 64, 32);
        using var attention = Tensors.Randn(7, 2, 4, 64, 8);
        using var whole = layer.Finish(x, attention);
        foreach (var (start, length) in Slices)
        {
            using var xs = x.narrow(1, start, length);
            using var attentionSlice = attention.narrow(2, start, length);
            using var part = layer.Finish(xs, attentionSlice);
            using var expected = whole.narrow(1, start, length);
            Tensors.AssertClose(expected, part, what: $"slice at {start}");
        }
    }

    [Fact]
    public void Sequences_longer_than_a_row_block_give_what_slices_within_one_block_give()
    {
        // The per-token steps run over blocks of RowBlock rows; any slicing of the tokens must agree,
        // including slices that straddle a block boundary and the last, partial block.
        using var model = new TransformerModel(TestModels.Options());
        var layer = model.Layers[1];
        long n = (2 * TransformerLayer.RowBlock) + 1_234;
        using var x = Tensors.Randn(11, 2, n, 32);
        using var attention = Tensors.Randn(12, 2, 4, n, 8);
        using var qkv = layer.ProjectQkv(x, 100);
        using var finished = layer.Finish(x, attention);
        (long Start, long Length)[] slices = [(0, 5_000), (TransformerLayer.RowBlock - 3_000, 6_000), (n - 2_000, 2_000)];
        foreach (var (start, length) in slices)
        {
            using var xs = x.narrow(1, start, length);
            using var part = layer.ProjectQkv(xs, 100 + start);
            foreach (var (full, piece, name) in new[] { (qkv.Q, part.Q, "q"), (qkv.K, part.K, "k"), (qkv.V, part.V, "v") })
            {
                using var expected = full.narrow(2, start, length);
                Tensors.AssertClose(expected, piece, what: $"{name} of rows {start}..{start + length}");
            }
            using var attentionSlice = attention.narrow(2, start, length);
            using var finishedPart = layer.Finish(xs, attentionSlice);
            using var finishedExpected = finished.narrow(1, start, length);
            Tensors.AssertClose(finishedExpected, finishedPart, what: $"finish of rows {start}..{start + length}");
        }
    }

    [Fact]
    public void The_three_steps_run_separately_equal_forward()
    {
        using var model = new TransformerModel(TestModels.Options(layers: 4, specs: TestModels.MixedSpecs));
        using var x = Tensors.Randn(8, 1, 48, 32);
        foreach (var layer in model.Layers)
        {
            using var expected = layer.forward(x, 0);
            using var qkv = layer.ProjectQkv(x, 0);
            using var attention = layer.Attend(qkv);
            using var actual = layer.Finish(x, attention.Output);
            Tensors.AssertBitEqual(expected, actual, $"layer {layer.Index} ({layer.Spec.Kind})");
        }
    }

    [Fact]
    public void Sharded_projection_and_finish_around_whole_sequence_attention_equal_forward()
    {
        // What a distributed runtime does: per-shard steps 1 and 3, attention over all shards' q, k, v.
        using var model = new TransformerModel(TestModels.Options(layers: 4, specs: TestModels.MixedSpecs));
        using var x = Tensors.Randn(9, 1, 64, 32);
        foreach (var layer in model.Layers)
        {
            using var scope = NewDisposeScope();
            var parts = Slices.Select(s => layer.ProjectQkv(x.narrow(1, s.Start, s.Length), s.Start)).ToList();
            var q = cat(parts.Select(p => p.Q).ToArray(), 2);
            var k = cat(parts.Select(p => p.K).ToArray(), 2);
            var v = cat(parts.Select(p => p.V).ToArray(), 2);
            using var attention = SingleDeviceAttention.Forward(layer.AttentionStepSpec, q, k, v);
            var outputs = Slices.Select(s => layer.Finish(x.narrow(1, s.Start, s.Length), attention.Output.narrow(2, s.Start, s.Length))).ToArray();
            Tensors.AssertClose(layer.forward(x, 0), cat(outputs, 1), rtol: 1e-4, atol: 1e-5, what: $"layer {layer.Index} ({layer.Spec.Kind})");
        }
    }

    [Fact]
    public void Queries_carry_the_softmax_scale_so_the_attention_step_runs_at_scale_one()
    {
        AttentionSpec[] specs =
        [
            .. TestModels.MixedSpecs,
            new() { Kind = AttentionKind.Window, WindowLeft = 5, WindowRight = 2, SoftmaxScale = 0.37 },
            new() { Kind = AttentionKind.Linformer, ProjectedLength = 16 },
            new() { Kind = AttentionKind.Luna, PackedLength = 8, SoftmaxScale = 0.41 },
            new() { Kind = AttentionKind.Performer, Features = 16, Causal = true },
        ];
        using var model = new TransformerModel(TestModels.Options(layers: specs.Length, specs: specs));
        using var x = Tensors.Randn(10, 1, 40, 32);
        foreach (var layer in model.Layers)
        {
            using var scope = NewDisposeScope();
            using var qkv = layer.ProjectQkv(x, 0);
            var performer = layer.Spec.Kind == AttentionKind.Performer;
            Assert.Equal(performer ? 1.0 : layer.Spec.SoftmaxScale ?? 1 / Math.Sqrt(layer.HeadDim), layer.QueryScale, 12);
            Assert.Equal(performer ? layer.Spec.SoftmaxScale : 1.0, layer.AttentionStepSpec.SoftmaxScale);
            Assert.Equal(layer.Spec with { SoftmaxScale = null }, layer.AttentionStepSpec with { SoftmaxScale = null });
            // The same attention as the layer's own spec on the queries without the factor.
            var unscaled = qkv.Q.div(layer.QueryScale);
            using var expected = SingleDeviceAttention.Forward(layer.Spec, unscaled, qkv.K, qkv.V);
            using var actual = layer.Attend(qkv);
            Tensors.AssertClose(expected.Output, actual.Output, rtol: 1e-4, atol: 1e-5, what: $"layer {layer.Index} ({layer.Spec.Kind})");
        }
    }

    [Fact]
    public void Steps_reject_inputs_of_the_wrong_shape()
    {
        using var model = new TransformerModel(TestModels.Options());
        var layer = model.Layers[0];
        using var wrongWidth = zeros(1, 4, 16);
        using var x = zeros(1, 4, 32);
        using var wrongHeads = zeros(1, 2, 4, 8);
        Assert.Contains("(batch, n, 32)", Assert.Throws<ArgumentException>(() => layer.ProjectQkv(wrongWidth, 0)).Message);
        Assert.Contains("heads 4", Assert.Throws<ArgumentException>(() => layer.Finish(x, wrongHeads)).Message);
    }
}
