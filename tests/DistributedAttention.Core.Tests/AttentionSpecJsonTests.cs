using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;

namespace DistributedAttention.Core.Tests;

/// <summary>The spec travels to the cluster as JSON; every field must survive and bad JSON must say why.</summary>
public sealed class AttentionSpecJsonTests
{
    [Fact]
    public void Every_field_round_trips_and_enums_are_names()
    {
        var spec = new AttentionSpec
        {
            Kind = AttentionKind.Compressive, WindowLeft = null, WindowRight = 3, Dilation = 2, Causal = true,
            GlobalPositions = [0, 17, 1L << 40], SoftmaxScale = 0.125, Seed = ulong.MaxValue, BlockSize = 16, RandomBlocks = 1,
            ProjectedLength = 64, Features = 32, SegmentLength = 8, MemoryLength = 4, CompressionRate = 2, CompressedLength = 5,
        };
        var json = spec.ToJson();
        Assert.Contains("\"Compressive\"", json);

        var back = AttentionSpec.FromJson(json);
        Assert.Equal(spec.GlobalPositions, back.GlobalPositions);
        Assert.Equal(spec, back with { GlobalPositions = spec.GlobalPositions });
        Assert.Equal(json, back.ToJson());
    }

    [Theory]
    [InlineData("{\"Kind\":", "malformed")]
    [InlineData("null", "null")]
    [InlineData("{\"Kind\":\"Window\",\"Dilation\":0}", "dilation must be >= 1")]
    [InlineData("{\"Kind\":\"Sparse\"}", "malformed")]
    public void Bad_json_fails_with_a_message_naming_the_problem(string json, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => AttentionSpec.FromJson(json));
        Assert.Contains(expected, error.Message);
    }
}
