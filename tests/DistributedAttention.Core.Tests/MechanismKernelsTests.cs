using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;

namespace DistributedAttention.Core.Tests;

/// <summary>Every mechanism of the registry has its kernels here, and nothing else has.</summary>
public sealed class MechanismKernelsTests
{
    [Fact]
    public void Every_registered_mechanism_has_one_device_and_shard_kernels()
    {
        var registered = MechanismRegistry.All.Select(m => m.Kind).ToArray();
        Assert.Equal(registered.Order(), MechanismKernels.Kinds.Order());
        Assert.Equal(registered.Length, registered.Distinct().Count());
        Assert.Equal(Enum.GetValues<AttentionKind>().Order(), registered.Order());
    }

    [Fact]
    public void An_unknown_kind_is_refused_by_name()
    {
        var spec = new AttentionSpec { Kind = (AttentionKind)99 };
        var error = Assert.Throws<ArgumentException>(spec.Validate);
        Assert.Contains("unknown attention kind 99", error.Message, StringComparison.Ordinal);
    }
}
