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

    /// <summary>
    /// Largest payload of one chunk of a job's output. Both ends drop such a chunk once it is
    /// written, and arrays under the runtime's large-object threshold (85,000 bytes) are reused
    /// from the young generation at once, where 4 MB arrays were fresh memory (page faults) every
    /// time: reading a book's hidden states took 1–3 s less (docs/benchmarks.md).
    /// </summary>
    public const int MaxOutputChunkBytes = 64 << 10;

    /// <summary>The payload of one output chunk for a job whose messages carry at most <paramref name="chunkBytes"/>.</summary>
    /// <param name="chunkBytes">The job's <see cref="JobOptions.ChunkBytes"/>.</param>
    public static int OutputChunkBytes(int chunkBytes) => Math.Min(chunkBytes, MaxOutputChunkBytes);

    /// <summary>
    /// Chunks per response for chunks of <paramref name="chunkBytes"/> bytes: at most
    /// <see cref="MaxBatchBytes"/> and a quarter of the message size limit, at least 1.
    /// </summary>
    /// <param name="chunkBytes">Payload of one chunk.</param>
    /// <param name="maxMessageBytes">The message body size limit of the receiving side; null when unknown (one chunk per response).</param>
    public static int ChunksPerBatch(int chunkBytes, int? maxMessageBytes) =>
        maxMessageBytes is { } limit ? Math.Max(1, Math.Min(MaxBatchBytes, limit / 4) / Math.Max(chunkBytes, 1)) : 1;
}
