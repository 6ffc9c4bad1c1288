using System.Diagnostics;
using System.Globalization;
using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// Where the band kernel's time goes, op by op, on the interior groups of one shard of the book
/// model (4 heads of 16, window ±128, global keys as extra columns): each op family's seconds
/// summed over the groups, for a few group sizes.
/// </summary>
internal static class BandOpsSuite
{
    private const int Block = 32;

    public static void Run(int rows, int globalCount, int threads)
    {
        set_num_threads(threads);
        const int bh = 4, d = 16, left = 128, right = 128;
        const int width = Block + left + right;
        using var q = randn(bh, rows, d);
        using var k = randn(bh, rows, d);
        using var v = randn(bh, rows, d);
        using var gk = randn(bh, globalCount, d);
        using var gv = randn(bh, globalCount, d);
        var columns = width + globalCount;
        using var mask = zeros(Block, columns);
        Console.WriteLine();
        Console.WriteLine($"rows {rows:N0}, {bh} heads of {d}, window ±{left}, {globalCount} global keys, {threads} threads");
        Console.WriteLine("| group scores | step | seconds |");
        Console.WriteLine("|---|---|---|");
        foreach (var groupScores in new[] { 1L << 18, 1L << 20, 1L << 22 })
        {
            var times = new Dictionary<string, double>();
            void Time(string name, Action action)
            {
                var watch = Stopwatch.StartNew();
                action();
                times[name] = times.GetValueOrDefault(name) + watch.Elapsed.TotalSeconds;
            }
            var group = Math.Max(1, groupScores / (bh * Block * columns));
            var blocks = (rows - left - right) / Block - 1;
            var output = zeros(bh, rows, d);
            for (var pass = 0; pass < 2; pass++)
            {
                times.Clear();
                var total = Stopwatch.StartNew();
                for (long b0 = 0; b0 + group <= blocks; b0 += group)
                {
                    using var scope = NewDisposeScope();
                    var spanStart = b0 * Block;
                    var spanLength = (group - 1) * Block + width;
                    Tensor qb = null!, kw = null!, vw = null!, scores = null!, max = null!, sum = null!, o = null!;
                    Time("q view", () => qb = q.narrow(1, left + b0 * Block, group * Block).reshape(bh * group, Block, d));
                    Time("k, v spans + globals (cat)", () =>
                    {
                        kw = cat([k.narrow(1, spanStart, spanLength).unfold(1, width, Block), gk.transpose(1, 2).unsqueeze(1).expand(bh, group, -1, globalCount)], 3).reshape(bh * group, d, columns);
                        vw = cat([v.narrow(1, spanStart, spanLength).unfold(1, width, Block).transpose(2, 3), gv.unsqueeze(1).expand(bh, group, globalCount, -1)], 2).reshape(bh * group, columns, d);
                    });
                    Time("bmm q·k", () => scores = bmm(qb, kw));
                    Time("mask add", () => scores.add_(mask, KeptScalars.One));
                    Time("amax", () => max = scores.amax([-1], keepdim: true));
                    Time("sub + exp", () => scores.sub_(max).exp_());
                    Time("sum", () => sum = scores.sum(-1, keepdim: true));
                    Time("bmm p·v", () => o = bmm(scores, vw));
                    Time("div", () => o.div_(sum));
                    Time("lse", () => max.add_(sum.log_(), KeptScalars.One));
                    Time("store", () => output.narrow(1, left + b0 * Block, group * Block).copy_(o.view(bh, group * Block, d)));
                    Time("softmax (alternative)", () => { using var p = scores.softmax(-1); });
                    Time("log_softmax (alternative)", () => { using var p = scores.log_softmax(-1); });
                    // libtorch's fused kernel on the same spans: the output alone, no lse.
                    Time("fused SDPA, no lse (alternative)", () =>
                    {
                        using var k4 = kw.view(bh, group, d, columns).transpose(2, 3);
                        using var v4 = vw.view(bh, group, columns, d);
                        using var o4 = nn.functional.scaled_dot_product_attention(qb.view(bh, group, Block, d), k4, v4, mask);
                    });
                }
                if (pass == 0) continue;
                var measured = times.Where(t => !t.Key.Contains("alternative", StringComparison.Ordinal)).Sum(t => t.Value);
                foreach (var (name, seconds) in times)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| 2^{Math.Log2(groupScores):F0} ({group} blocks) | {name} | {seconds:F3} |"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| 2^{Math.Log2(groupScores):F0} ({group} blocks) | kernel ops | {measured:F3} |"));
            }
            output.Dispose();
        }

        // The same rows through libtorch's fused SDPA, a block of queries per call over its
        // contiguous key span plus the global keys, output only (no lse).
        foreach (var sdpaBlock in new[] { 64, 128, 256 })
        {
            var spanWidth = sdpaBlock + left + right;
            using var spanMask = zeros(sdpaBlock, spanWidth + globalCount);
            using (var r = arange(sdpaBlock).unsqueeze(1))
            using (var c = arange(spanWidth).unsqueeze(0))
            using (var hidden = c.lt(r).logical_or(c.gt(r + (left + right))))
                spanMask.narrow(1, 0, spanWidth).masked_fill_(hidden, float.NegativeInfinity);
            using var output = zeros(bh, rows, d);
            var seconds = Measure.BestSeconds(() =>
            {
                for (long start = left; start + sdpaBlock + right <= rows; start += sdpaBlock)
                {
                    using var scope = NewDisposeScope();
                    var keys = cat([k.narrow(1, start - left, spanWidth), gk], 1);
                    var values = cat([v.narrow(1, start - left, spanWidth), gv], 1);
                    var o = nn.functional.scaled_dot_product_attention(q.narrow(1, start, sdpaBlock), keys, values, spanMask);
                    output.narrow(1, start, sdpaBlock).copy_(o);
                }
            }, 1);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| SDPA, {sdpaBlock}-row blocks | all rows, output only | {seconds:F3} |"));
        }
    }
}
