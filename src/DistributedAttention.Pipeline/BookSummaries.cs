using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;

namespace DistributedAttention.Pipeline;

/// <summary>Builds a book job's <see cref="ProcessSummary"/> from what ran.</summary>
public static class BookSummaries
{
    /// <summary>The summary of <paramref name="result"/>.</summary>
    /// <param name="book">The book.</param>
    /// <param name="options">How the job was split.</param>
    /// <param name="cluster">What ran it.</param>
    /// <param name="result">The cluster's result.</param>
    /// <param name="phases">Seconds per phase.</param>
    /// <param name="totalSeconds">The whole run's seconds.</param>
    /// <param name="matmulGflops">This machine's fp32 matmul rate, the roof of the speed figures (null: not measured).</param>
    public static ProcessSummary Summarize(
        PreparedBook book, JobOptions options, ClusterInfo cluster, ModelJobResult result, IReadOnlyDictionary<string, double> phases, double totalSeconds, double? matmulGflops)
    {
        ArgumentNullException.ThrowIfNull(book);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(result);
        var (model, status) = (book.Model, result.Status);
        var jobSeconds = status.ElapsedSeconds > 0 ? status.ElapsedSeconds : totalSeconds;
        return new ProcessSummary(
            book.Path,
            book.Book.Decoding.EncodingName,
            result.Rows,
            book.Sections.Count,
            result.Plan.Bounds.Length - 1,
            cluster.Silos,
            cluster.Description,
            result.Plan.JobId,
            new ModelSummary(model.Layers, model.ModelDim, model.Heads, model.FeedForwardDim, model.VocabSize, model.Seed),
            [.. model.LayerAttention.Select(Describe)],
            ValueParsers.WireName(options.Wire),
            new Dictionary<string, double>(phases),
            totalSeconds,
            jobSeconds,
            result.Rows / jobSeconds,
            new BytesSummary(status.BytesByCollective.Values.Sum(), status.BytesByCollective, status.BytesPerLayer),
            [.. status.Recoveries.Select(r => new RecoverySummary(r.Shard, r.Layer, r.LostSilo, r.NewSilo, r.Source))],
            result.Plan.Bounds,
            [.. status.Shards.Select(s => new PlacementSummary(s.Shard, result.Plan.Bounds[s.Shard], result.Plan.Bounds[s.Shard + 1], s.Silo, s.Device))],
            options.EffectiveReplicas,
            [.. status.CoordinatorMoves.Select(m => new CoordinatorMoveSummary(m.LostSilo, m.NewSilo, m.LayersCompleted))],
            TraceId: status.TraceId,
            Speed: Speed(model, result.Rows, status, matmulGflops),
            Memory: new MemorySummary(status.SiloPeakMemoryBytes ?? [], PeakMemoryOfThisProcess()));
    }

    /// <summary>Each layer's useful GFLOP/s from its phase's wall time, against the matmul rate.</summary>
    private static SpeedSummary Speed(TransformerOptions model, long tokens, JobStatus status, double? matmul)
    {
        var layers = new List<LayerSpeed>();
        for (var layer = 0; layer < model.Layers; layer++)
        {
            var seconds = status.Phases.Where(p => p.Phase == $"layer {layer}").Sum(p => p.Seconds);
            var gflop = LayerFlops.Of(model, layer, tokens) / 1e9;
            var gflops = seconds > 0 ? gflop / seconds : 0;
            layers.Add(new LayerSpeed(layer, seconds, gflop, gflops, matmul > 0 ? gflops / matmul : null));
        }
        return new SpeedSummary(matmul, layers);
    }

    internal static long PeakMemoryOfThisProcess()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }

    /// <summary>One layer's mechanism in words: "window (128,128), dilation 1, 67 global".</summary>
    public static string Describe(AttentionSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        static string Side(int? w) => w?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "inf";
        var name = MechanismRegistry.NameOf(spec.Kind);
        if (MechanismRegistry.For(spec.Kind).Windowed) return $"{name} ({Side(spec.WindowLeft)},{Side(spec.EffectiveRight)}), dilation {spec.Dilation}, {spec.GlobalPositions.Count} global";
        return spec.Causal ? $"{name}, causal" : name;
    }
}
