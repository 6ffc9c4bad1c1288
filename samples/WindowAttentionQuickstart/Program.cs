// Window attention with global tokens over a long random sequence, checked against the dense
// test oracle (tests/DistributedAttention.Testing) on a short prefix. Run: eng/in-sandbox.sh dotnet run -c Release --project samples/WindowAttentionQuickstart [n]
using System.Diagnostics;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Testing;
using static TorchSharp.torch;

try
{
    TorchRuntime.EnsureLoaded();
}
catch (TorchUnavailableException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}

var n = args.Length > 0 ? long.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 256, WindowRight = 256, GlobalPositions = [0, n / 2] };
using var q = randn(1, 8, n, 64);
using var k = randn(1, 8, n, 64);
using var v = randn(1, 8, n, 64);

var watch = Stopwatch.StartNew();
using var result = SingleDeviceAttention.Forward(spec, q, k, v);
Console.WriteLine($"window ±256 + 2 global tokens over {n:N0} tokens: {watch.Elapsed.TotalSeconds:F2} s ({n / watch.Elapsed.TotalSeconds:N0} tokens/s)");

// The dense O(n²) oracle on a 2,000-token prefix (the global token at n/2 lies beyond it).
const long prefix = 2_000;
var prefixSpec = spec with { GlobalPositions = [0] };
using var pq = q.narrow(2, 0, prefix);
using var pk = k.narrow(2, 0, prefix);
using var pv = v.narrow(2, 0, prefix);
using var dense = DenseOracle.Forward(prefixSpec, pq, pk, pv);
using var fast = SingleDeviceAttention.Forward(prefixSpec, pq, pk, pv);
Console.WriteLine($"max |fast - dense| on the prefix: {(dense.Output - fast.Output).abs().max().item<float>():E2}");
return 0;
