using DistributedAttention.Abstractions;
using DistributedAttention.Checkpoints;
using DistributedAttention.Client;

namespace DistributedAttention.Pipeline;

/// <summary>summary.json of a pretrained book job: the fields of every book job, and the model's own.</summary>
internal static class PretrainedSummaries
{
    public static ProcessSummary Summarize(
        PreparedPretrainedBook book, JobOptions options, ClusterInfo cluster, PretrainedJobResult result, IReadOnlyDictionary<string, double> phases, double totalSeconds, double? matmulGflops)
    {
        var (a, status) = (book.Model.Architecture, result.Status);
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
            new ModelSummary(a.Layers.Count, a.HiddenSize, a.Heads, a.IntermediateSize, a.VocabSize, 0),
            [.. a.Layers.Select(l => l.Describe())],
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
            Speed: Speed(a, result.Rows, status, matmulGflops),
            Memory: new MemorySummary(status.SiloPeakMemoryBytes ?? [], BookSummaries.PeakMemoryOfThisProcess()))
        {
            Pretrained = new PretrainedSummary(book.Model.Directory, a.ModelType, a.ParameterCount, book.ComputeType, a.Heads, a.KvHeads, a.MaxPositions, book.Model.Fingerprint,
                book.ExactOffsets, book.Warnings),
        };
    }

    private static SpeedSummary Speed(DecoderArchitecture a, long tokens, JobStatus status, double? matmul)
    {
        var layers = new List<LayerSpeed>();
        for (var layer = 0; layer < a.Layers.Count; layer++)
        {
            var seconds = status.Phases.Where(p => p.Phase == $"layer {layer}").Sum(p => p.Seconds);
            var gflop = a.LayerFlops(layer, tokens) / 1e9;
            var gflops = seconds > 0 ? gflop / seconds : 0;
            layers.Add(new LayerSpeed(layer, seconds, gflop, gflops, matmul > 0 ? gflops / matmul : null));
        }
        return new SpeedSummary(matmul, layers);
    }
}
