namespace DistributedAttention.Abstractions;

/// <summary>
/// How many <see cref="TensorChunk"/>s one streamed response may carry. Orleans batches up to
/// 100 ready items of an <c>IAsyncEnumerable</c> grain call into one response, which for 4 MB
/// chunks would pass the message size limit; one item per response costs a round trip per chunk.
/// </summary>
public static class StreamBatching
{
    /// <summary>Largest payload of one streamed response.</summary>
    public const int MaxBatchBytes = 16 << 20;

    /// <summary>Chunks per response for chunks of <paramref name="chunkBytes"/> bytes (at least 1).</summary>
    public static int ChunksPerBatch(int chunkBytes) => Math.Max(1, MaxBatchBytes / Math.Max(chunkBytes, 1));
}
