using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DistributedAttention.Abstractions;
using DistributedAttention.Checkpoints;
using DistributedAttention.Client;
using DistributedAttention.Core.IO;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Model.Pretrained;
using static TorchSharp.torch;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// Prefill of pretrained families at real shapes with random BF16 weights (nothing is downloaded):
/// SmolLM2-135M's (30 full causal layers, hidden 576, 9 heads / 3 kv heads, vocabulary 49 152) and
/// Gemma-3-270M's (18 layers, five sliding ones of window 512 to one global, hidden 640, 4 heads / 1
/// kv head of 256, vocabulary 262 144). One device, then the embedded cluster of 3 silos, in one run:
/// tokens/s, useful GFLOP/s against the same run's fp32 matmul, bytes per layer, peak memory.
/// </summary>
internal static class PretrainedSuite
{
    public static readonly string[] Shapes = ["smollm2-135m", "gemma3-270m"];

    public static async Task RunAsync(string shape, int tokens)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"distattn-bench-{shape}");
        var clock = Stopwatch.StartNew();
        Write(folder, shape);
        var model = ModelFolder.Open(folder);
        var a = model.Architecture;
        Console.WriteLine();
        Console.WriteLine($"{shape}: {a.ParameterCount / 1e6:F1} M parameters, {a.Layers.Count} layers ({string.Join(", ", a.Layers.Select(l => l.Describe()).Distinct())}), " +
            $"{a.Heads} heads / {a.KvHeads} kv heads of {a.HeadDim}, vocabulary {a.VocabSize:N0}; random BF16 weights written in {clock.Elapsed.TotalSeconds:F1} s; {tokens:N0} tokens, fp32 compute.");
        var matmul = Measure.MatmulGflops();
        var flops = Enumerable.Range(0, a.Layers.Count).Sum(l => a.LayerFlops(l, tokens)) + a.HeadFlops(tokens - 1);
        var ids = Enumerable.Range(0, tokens).Select(i => (int)((i * 7919L + 13) % a.VocabSize)).ToArray();

        // One device: every core, the whole prefill (layers, final norm, the head's scores); fp32, then bf16 matmuls.
        var (single, expected, expectedLogProb) = OneDevice(model, ids, ScalarType.Float32);
        var singlePeak = Process.GetCurrentProcess().PeakWorkingSet64;
        var (bf16, bf16Hidden, bf16LogProb) = OneDevice(model, ids, ScalarType.BFloat16);
        var bf16Error = expected.Zip(bf16Hidden).Max(p => Math.Abs(p.First - p.Second));
        var bf16LogProbError = expectedLogProb.Zip(bf16LogProb).Max(p => Math.Abs(p.First - p.Second));

        // The embedded cluster: 3 silos in this process, one shard each.
        await using var cluster = new LocalCluster(new LocalClusterOptions { LogLevel = Microsoft.Extensions.Logging.LogLevel.Error });
        await cluster.StartAsync(3, ["cpu"]).ConfigureAwait(false);
        var jobs = new JobClient(cluster.Client);
        var sink = new Rows();
        clock.Restart();
        var result = await jobs.RunPretrainedAsync(PretrainedModel.Of(model), ids, new JobOptions(3), sink, null, default).ConfigureAwait(false);
        var distributed = clock.Elapsed.TotalSeconds;
        var maxDiff = expected.Zip(sink.Data).Max(p => Math.Abs(p.First - p.Second));
        var scale = expected.Max(Math.Abs);

        Console.WriteLine($"fp32 matmul 2048²: {matmul:F1} GFLOP/s; useful work {flops / 1e9:F0} GFLOP (layers and the head).");
        Console.WriteLine();
        Console.WriteLine("| run | seconds | tokens/s | useful GFLOP/s | of fp32 matmul | peak memory |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| one device, bf16 matmuls | {bf16:F1} | {tokens / bf16:N0} | {flops / bf16 / 1e9:F1} | {flops / bf16 / 1e9 / matmul:P0} | |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| one device | {single:F1} | {tokens / single:N0} | {flops / single / 1e9:F1} | {flops / single / 1e9 / matmul:P0} | {singlePeak / 1e9:F2} GB (process) |"));
        var silos = result.Status.SiloPeakMemoryBytes ?? [];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| 3 silos, 3 shards | {distributed:F1} | {tokens / distributed:N0} | {flops / distributed / 1e9:F1} | {flops / distributed / 1e9 / matmul:P0} | {(silos.Count == 0 ? 0 : silos.Values.Max()) / 1e9:F2} GB (the process, all silos) |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cluster / one device: {distributed / single:F2}× the time; max |hidden − one device| {maxDiff:E2} (max |hidden| {scale:F1})."));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bf16 matmuls / fp32: {single / bf16:F2}× faster; max |hidden − fp32| {bf16Error:E2}, max |log-prob − fp32| {bf16LogProbError:E2} nats."));
        // The minimum each layer must move, fp32: a sliding layer's causal halo is W − 1 rows of K and V (at the kv heads)
        // across each of the P − 1 boundaries; the causal ring at P = 3 passes each shard's q, k, v and accumulator (o, lse)
        // one hop and brings the accumulators home: n · (3 · heads · d + 2 · kv heads · d + 2 · heads) floats.
        var (q, kv, h) = ((double)a.Heads * a.HeadDim, (double)a.KvHeads * a.HeadDim, (double)a.Heads);
        Console.WriteLine();
        Console.WriteLine("| layer | attention | bytes exchanged | formula | K/V bytes if kv heads were repeated |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (plan, bytes) in a.Layers.Zip(result.Status.BytesPerLayer).DistinctBy(p => p.First.Describe()))
        {
            var (formula, repeated) = plan.WindowLeft is { } left
                ? (2.0 * left * 2 * kv * 4, 2.0 * left * 2 * q * 4)
                : (tokens * 4 * ((3 * q) + (2 * kv) + (2 * h)), tokens * 4 * ((3 * q) + (2 * q) + (2 * h)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {plan.Index} | {plan.Describe()} | {bytes:N0} | {formula:N0} | {repeated:N0} |"));
        }
    }

    private static (double Seconds, float[] Hidden, float[] LogProb) OneDevice(ModelFolder model, int[] ids, ScalarType dtype)
    {
        using var decoder = DecoderModel.Load(model, dtype: dtype);
        using var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]);
        var clock = Stopwatch.StartNew();
        using var hidden = decoder.Forward(input).squeeze(0);
        var (logProb, entropy) = decoder.Score(hidden.narrow(0, 0, ids.Length - 1), input.squeeze(0).narrow(0, 1, ids.Length - 1));
        var seconds = clock.Elapsed.TotalSeconds;
        using (logProb)
        using (entropy)
        {
            return (seconds, hidden.data<float>().ToArray(), logProb.data<float>().ToArray());
        }
    }

    /// <summary>config.json and random BF16 weights of <paramref name="shape"/>, written once.</summary>
    private static void Write(string folder, string shape)
    {
        if (File.Exists(Path.Combine(folder, "model.safetensors"))) return;
        Directory.CreateDirectory(folder);
        object config = shape switch
        {
            "smollm2-135m" => new Dictionary<string, object>
            {
                ["model_type"] = "llama", ["hidden_size"] = 576, ["num_hidden_layers"] = 30, ["num_attention_heads"] = 9, ["num_key_value_heads"] = 3,
                ["intermediate_size"] = 1536, ["vocab_size"] = 49152, ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 100000.0, ["tie_word_embeddings"] = true,
                ["max_position_embeddings"] = 8192, ["hidden_act"] = "silu",
            },
            "gemma3-270m" => new Dictionary<string, object>
            {
                ["model_type"] = "gemma3_text", ["hidden_size"] = 640, ["num_hidden_layers"] = 18, ["num_attention_heads"] = 4, ["num_key_value_heads"] = 1,
                ["head_dim"] = 256, ["intermediate_size"] = 2048, ["vocab_size"] = 262144, ["rms_norm_eps"] = 1e-6, ["sliding_window"] = 512,
                ["sliding_window_pattern"] = 6, ["rope_theta"] = 1_000_000.0, ["rope_local_base_freq"] = 10000.0, ["query_pre_attn_scalar"] = 256,
                ["max_position_embeddings"] = 32768, ["tie_word_embeddings"] = true, ["hidden_activation"] = "gelu_pytorch_tanh",
            },
            _ => throw new ArgumentException($"unknown shape '{shape}'; shapes: {string.Join(", ", Shapes)}."),
        };
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(config));
        var architecture = HuggingFaceConfig.Read(Path.Combine(folder, "config.json"));
        using var generator = new Generator(17);
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, dims) in architecture.ExpectedTensors())
            {
                var norm = name.EndsWith("norm.weight", StringComparison.Ordinal);
                // Norms near their neutral value (Gemma stores w of 1 + w), matrices of a trained model's scale.
                using var values = norm ? (architecture.NormAddsOne ? zeros(dims) : ones(dims)) : randn(dims, generator: generator).mul_(0.02);
                tensors[name] = values.to(ScalarType.BFloat16);
            }
            Safetensors.Save(Path.Combine(folder, "model.safetensors"), tensors);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private sealed class Rows : IModelOutputSink
    {
        private int width;

        public float[] Data { get; private set; } = [];

        public ValueTask BeginAsync(long rows, int modelDim, CancellationToken cancellationToken)
        {
            (Data, width) = (new float[rows * modelDim], modelDim);
            return ValueTask.CompletedTask;
        }

        public ValueTask WriteAsync(long rowStart, long rows, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data.Span).CopyTo(Data.AsSpan((int)(rowStart * width)));
            return ValueTask.CompletedTask;
        }

        public ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
