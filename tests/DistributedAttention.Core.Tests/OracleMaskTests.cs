using DistributedAttention.Contracts;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>
/// The oracle's masks against small matrices written out by hand from the contract (row i =
/// query i, column j = key j, 1 = visible), so the oracle is checked by something other than code.
/// </summary>
public sealed class OracleMaskTests
{
    [Fact]
    public void Window_with_dilation()
    {
        // |j − i| ≤ 1·δ with δ = 2, and j − i even.
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 1, WindowRight = 1, Dilation = 2 };
        AssertMask(spec,
            "10100000",
            "01010000",
            "10101000",
            "01010100",
            "00101010",
            "00010101",
            "00001010",
            "00000101");
    }

    [Fact]
    public void Window_with_an_unbounded_left_and_dilation()
    {
        // j ≤ i + 1·2, j − i even, any distance to the left.
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = null, WindowRight = 1, Dilation = 2 };
        AssertMask(spec,
            "101000",
            "010100",
            "101010",
            "010101",
            "101010",
            "010101");
    }

    [Fact]
    public void Causal_window_with_global_tokens()
    {
        // Window ±1 (right ignored: causal), globals 0 and 4: row 4 sees all of its past, every row sees key 0 and, from 4 on, key 4.
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 1, WindowRight = 1, Causal = true, GlobalPositions = [0, 4] };
        AssertMask(spec,
            "100000",
            "110000",
            "111000",
            "101100",
            "111110",
            "100011");
    }

    [Fact]
    public void Global_tokens_are_symmetric_and_positions_past_n_are_ignored()
    {
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 0, WindowRight = 0, GlobalPositions = [2, 9] };
        AssertMask(spec,
            "10100",
            "01100",
            "11111",
            "00110",
            "00101");
    }

    [Fact]
    public void Transformer_xl_segment_and_memory()
    {
        // S = 3, M = 2: query i sees [segmentStart(i) − 2, i].
        var spec = new AttentionSpec { Kind = AttentionKind.TransformerXl, SegmentLength = 3, MemoryLength = 2 };
        AssertMask(spec,
            "1000000",
            "1100000",
            "1110000",
            "0111000",
            "0111100",
            "0111110",
            "0000111");
    }

    [Fact]
    public void Full_causal_and_not()
    {
        AssertMask(new AttentionSpec { Kind = AttentionKind.Full }, "111", "111", "111");
        AssertMask(new AttentionSpec { Kind = AttentionKind.Full, Causal = true }, "100", "110", "111");
    }

    [Fact]
    public void BigBird_random_blocks()
    {
        // Seed 7, 3 key blocks of 2, one random block each: query blocks 0, 1, 2 draw key blocks
        // 1, 2, 0 (causal: 0, 0, 0), values from a separate Python implementation of the
        // definition. The window is the diagonal only.
        var spec = new AttentionSpec { Kind = AttentionKind.BigBird, WindowLeft = 0, WindowRight = 0, BlockSize = 2, RandomBlocks = 1, Seed = 7 };
        AssertMask(spec,
            "101100",
            "011100",
            "001011",
            "000111",
            "110010",
            "110001");
        AssertMask(spec with { Causal = true },
            "100000",
            "110000",
            "111000",
            "110100",
            "110010",
            "110001");
    }

    [Fact]
    public void Compressive_slots()
    {
        // S = 2, M = 2, c = 2, Mc = 1: slot t pools tokens [2t, 2t + 2); query i sees slot t when
        // m − 2 < 2(t + 1) ≤ m with m = segmentStart(i) − 2.
        var spec = new AttentionSpec
        {
            Kind = AttentionKind.Compressive, SegmentLength = 2, MemoryLength = 2, CompressionRate = 2, CompressedLength = 1,
        };
        string[] expected = ["0000", "0000", "0000", "0000", "1000", "1000", "0100", "0100"];
        for (var i = 0; i < expected.Length; i++)
        {
            var row = string.Concat(Enumerable.Range(0, 4).Select(t => OracleMasks.SlotSees(spec, i, t) ? '1' : '0'));
            Assert.Equal(expected[i], row);
        }
    }

    private static void AssertMask(AttentionSpec spec, params string[] rows)
    {
        using var mask = OracleMasks.Mask(spec, rows.Length);
        var actual = mask.data<bool>().ToArray();
        var n = rows.Length;
        var text = Enumerable.Range(0, n).Select(i => string.Concat(actual.Skip(i * n).Take(n).Select(b => b ? '1' : '0'))).ToArray();
        Assert.Equal(rows, text);
    }
}
