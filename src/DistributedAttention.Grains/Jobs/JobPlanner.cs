using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Model;

namespace DistributedAttention.Grains.Jobs;

/// <summary>Checks job requests and splits the sequence; every error names the problem.</summary>
public static class JobPlanner
{
    /// <summary>Largest message payload a job may ask for (well under Orleans' 100 MB default body limit).</summary>
    public const int MaxChunkBytes = 32 << 20;

    /// <summary>Validates a model job; returns its options and layout.</summary>
    /// <exception cref="ArgumentException">The request is invalid.</exception>
    public static (TransformerOptions Options, ShardLayout Layout) Plan(ModelJobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = TransformerOptions.FromJson(request.ModelOptionsJson);
        if (request.Tokens < 1) throw new ArgumentException($"a model job needs at least one token (got {request.Tokens}).");
        return (options, Layout(request.Tokens, request.Options));
    }

    /// <summary>Validates an attention job; returns its spec and layout.</summary>
    /// <exception cref="ArgumentException">The request is invalid.</exception>
    public static (AttentionSpec Spec, ShardLayout Layout) Plan(AttentionJobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var spec = AttentionSpec.FromJson(request.SpecJson);
        if (request.Batch < 1 || request.Heads < 1 || request.HeadDim < 1 || request.ValueDim < 1)
            throw new ArgumentException($"batch, heads, head dim and value dim must be >= 1 (got {request.Batch}, {request.Heads}, {request.HeadDim}, {request.ValueDim}).");
        if (request.Length < 1) throw new ArgumentException($"the sequence must have at least one position (got n = {request.Length}).");
        return (spec, Layout(request.Length, request.Options));
    }

    private static ShardLayout Layout(long length, JobOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ChunkBytes < 1024 || options.ChunkBytes > MaxChunkBytes)
            throw new ArgumentException($"chunk size must be between 1 KiB and {MaxChunkBytes >> 20} MiB (got {options.ChunkBytes} bytes).");
        if (!Enum.IsDefined(options.Wire)) throw new ArgumentException($"unknown wire type {options.Wire}.");
        if (options.ShardSizes is { } sizes)
        {
            if (sizes.Length != options.Shards)
                throw new ArgumentException($"{sizes.Length} shard sizes were given for {options.Shards} shards.");
            if (sizes.Any(s => s < 1)) throw new ArgumentException($"every shard needs at least one position; sizes were {string.Join(", ", sizes)}.");
            if (sizes.Sum() != length) throw new ArgumentException($"shard sizes add up to {sizes.Sum()}, but the sequence has {length} positions.");
            return ShardLayout.FromSizes(sizes);
        }
        if (options.Shards < 1) throw new ArgumentException($"shard count must be >= 1 (got {options.Shards}).");
        return ShardLayout.Even(length, options.Shards);
    }
}
