using System.Globalization;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// The rows of global queries: G queries over every key of a long sequence (the book job's 67
/// chapter starts over 1.2M keys), as <see cref="GlobalTokens.RowsPartial"/> computes them, next
/// to libtorch's SDPA over the same rows (no lse) in the same run.
/// </summary>
internal static class GlobalRowsSuite
{
    public static void Run(int keys, int globals, int repeats)
    {
        const int bh = 4, d = 16;
        var positions = Enumerable.Range(0, globals).Select(i => (long)i * keys / globals).ToArray();
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 128, WindowRight = 128, GlobalPositions = positions };
        using var qg = randn(bh, globals, d).mul_(0.25);
        using var k = randn(bh, keys, d);
        using var v = randn(bh, keys, d);
        Console.WriteLine();
        Console.WriteLine($"{globals} global queries over {keys:N0} keys, bh {bh}, d {d}, {get_num_threads()} threads");
        Console.WriteLine("| kernel | seconds | ns per score |");
        Console.WriteLine("|---|---|---|");
        var scores = (double)bh * globals * keys;
        void Row(string name, double seconds) =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {seconds:F3} | {seconds / scores * 1e9:F2} |"));
        Row("RowsPartial", Measure.BestSeconds(() => { using var r = GlobalTokens.RowsPartial(spec, positions, qg, k, v, 0, keys); }, repeats));
        using var q4 = qg.unsqueeze(0);
        using var k4 = k.unsqueeze(0);
        using var v4 = v.unsqueeze(0);
        Row("SDPA (no lse)", Measure.BestSeconds(() => { using var o = nn.functional.scaled_dot_product_attention(q4, k4, v4); }, repeats));
        Row("scores only (bmm)", Measure.BestSeconds(() =>
        {
            for (long s = 0; s < keys; s += 65536)
            {
                using var c = bmm(qg, k.narrow(1, s, Math.Min(65536, keys - s)).transpose(1, 2));
            }
        }, repeats));
        Row("scores only, keys as rows (bmm(k, qᵀ))", Measure.BestSeconds(() =>
        {
            using var qt = qg.transpose(1, 2).contiguous();
            for (long s = 0; s < keys; s += 65536)
            {
                using var c = bmm(k.narrow(1, s, Math.Min(65536, keys - s)), qt);
            }
        }, repeats));
        using var kt = k.transpose(1, 2).contiguous();
        Row("scores only, kᵀ contiguous", Measure.BestSeconds(() =>
        {
            for (long s = 0; s < keys; s += 65536)
            {
                using var c = bmm(qg, kt.narrow(2, s, Math.Min(65536, keys - s)));
            }
        }, repeats));
        using var p = rand(bh, globals, 65536);
        Row("PV only (bmm)", Measure.BestSeconds(() =>
        {
            for (long s = 0; s < keys; s += 65536)
            {
                var c = Math.Min(65536, keys - s);
                using var o = bmm(p.narrow(2, 0, c), v.narrow(1, s, c));
            }
        }, repeats));
        Row("PV only, 2-D per head", Measure.BestSeconds(() =>
        {
            for (long s = 0; s < keys; s += 65536)
            {
                var c = Math.Min(65536, keys - s);
                for (var h = 0; h < bh; h++)
                {
                    using var o = p[h].narrow(1, 0, c).matmul(v[h].narrow(0, s, c));
                }
            }
        }, repeats));
        using var qb = randn(bh * 1024, 32, d);
        using var kb = randn(bh * 1024, d, 288);
        Row("band-shaped bmm (4096 × 32×16×288), per score", Measure.BestSeconds(() =>
        {
            for (var r = 0; r < 40; r++)
            {
                using var c = bmm(qb, kb);
            }
        }, repeats) * scores / (40.0 * bh * 1024 * 32 * 288));
        Row("scores only, 2-D matmul per head", Measure.BestSeconds(() =>
        {
            for (long s = 0; s < keys; s += 65536)
            {
                for (var h = 0; h < bh; h++)
                {
                    using var c = qg[h].matmul(k[h].narrow(0, s, Math.Min(65536, keys - s)).T);
                }
            }
        }, repeats));
    }
}
