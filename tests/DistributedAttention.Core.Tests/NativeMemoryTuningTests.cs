using System.Globalization;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>
/// After the tuning, a tensor of 16 MiB allocated, written and freed again and again costs far
/// fewer page faults: without it every round faults each of its 4,096 pages of 4 KiB afresh
/// (82,000 faults over 20 rounds, measured), with it about an eighth of that (10,400: huge pages).
/// </summary>
/// <remarks>
/// The faults are counted for the whole process (libtorch fills the tensor on its own threads), so
/// the test runs alone: other tests' allocations in parallel would be counted as its own.
/// </remarks>
[Collection(ProcessWideMeasurements.Name)]
public sealed class NativeMemoryTuningTests
{
    [Fact]
    public void A_16_MiB_tensor_made_again_and_again_faults_no_fresh_pages()
    {
        TorchRuntime.EnsureLoaded();
        var tuning = NativeMemoryTuning.Apply();
        Assert.Equal("glibc thresholds fixed, huge-page alignment on", tuning);
        const int rounds = 20;
        const long elements = 4L << 20;
        using (var first = ones(elements)) { }
        var before = MinorFaults();
        for (var i = 0; i < rounds; i++)
        {
            using var t = ones(elements);
        }
        var faults = MinorFaults() - before;
        // Fresh 4 KiB pages every round would be 20 × 4,096 faults; the tuning must at least halve that.
        Assert.True(faults < rounds * 4_096 / 2, $"{faults} minor faults over {rounds} rounds of a 16 MiB tensor ({tuning})");
    }

    /// <summary>
    /// What the experiments' memory figures rely on: once released, freed heap is no longer resident
    /// (glibc may already return some of it on free; what it keeps, the release hands back).
    /// </summary>
    [Fact]
    public void Once_released_freed_heap_is_no_longer_resident()
    {
        TorchRuntime.EnsureLoaded();
        NativeMemoryTuning.Apply();
        // 2 MiB tensors: under the 32 MiB mmap threshold, so glibc serves them from the heap and may keep them once freed.
        var tensors = Enumerable.Range(0, 100).Select(_ => ones(512L << 10)).ToList();
        var held = Resident();
        foreach (var t in tensors) t.Dispose();
        var kept = Resident();
        Assert.True(NativeMemoryTuning.ReleaseFreedMemory());
        var released = Resident();
        Assert.True(held - released >= 150L << 20, $"resident: {held >> 20} MiB holding 200 MiB of tensors, {kept >> 20} MiB after freeing them, {released >> 20} MiB after the release");
    }

    private static long Resident() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;

    private static long MinorFaults() =>
        long.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[7], CultureInfo.InvariantCulture);
}

/// <summary>Tests that measure the whole process (page faults, resident memory), run with no other test beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMeasurements
{
    /// <summary>The collection's name.</summary>
    public const string Name = "process-wide measurements";
}
