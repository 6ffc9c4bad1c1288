using System.Text.RegularExpressions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Testing;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>Measures the whole process's resident memory, so it runs alone: a test beside it would add its own.</summary>
[Collection(ProcessWideMeasurements.Name)]
public sealed partial class MillionTokenTests
{
    [Fact]
    public void Million_token_window_attention_stays_within_a_linear_memory_budget()
    {
        const long n = 1_000_000, d = 16;
        const int window = 128;
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = window, WindowRight = window, GlobalPositions = [0, n / 2] };
        var (q, k, v) = TensorAssert.RandomQkv(1, 1, 1, n, d);
        var tensorBytes = n * d * sizeof(float);

        // The budget: the inputs' copies (scaled q, flattened k/v), the output and lse, plus the
        // per-block work: a (64 × (64 + 2w)) score block per head, far from n² = 4 TB.
        var budget = 6 * tensorBytes + n * 8 * 4 + 256L * 1024 * 1024;
        ResetPeakRss();
        var before = ReadStatus("VmRSS");
        using (var result = SingleDeviceAttention.Forward(spec, q, k, v))
        {
            Assert.Equal([1L, 1, n, d], result.Output.shape);
            Assert.False(result.Output.isnan().any().item<bool>());
            // Spot-check rows against the dense reference over the same window.
            foreach (var row in new long[] { 1, 777_777, n - 1 })
            {
                var lo = Math.Max(0, row - window);
                var hi = Math.Min(n - 1, row + window);
                var visible = new SortedSet<long> { 0, n / 2 };
                for (var j = lo; j <= hi; j++) visible.Add(j);
                using var index = tensor(visible.ToArray());
                using var keys = k.index_select(2, index);
                using var values = v.index_select(2, index);
                using var all = ones(1, keys.shape[2], dtype: @bool);
                using var expected = DenseOracle.Attend(q.narrow(2, row, 1), keys, values, all, 1 / Math.Sqrt(d));
                TensorAssert.Close(expected.Output, result.Output.narrow(2, row, 1), what: $"row {row}");
            }
        }
        var peak = ReadStatus("VmHWM");
        Assert.True(peak - before <= budget, $"peak RSS grew by {(peak - before) >> 20} MiB, budget {budget >> 20} MiB");
        q.Dispose(); k.Dispose(); v.Dispose();
    }

    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
    private static void ResetPeakRss() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static long ReadStatus(string field)
    {
        var match = Regex.Match(File.ReadAllText("/proc/self/status"), field + @":\s+(\d+) kB");
        Assert.True(match.Success, $"{field} not in /proc/self/status");
        return long.Parse(match.Groups[1].Value) * 1024;
    }
}
