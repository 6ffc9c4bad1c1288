namespace DistributedAttention.Abstractions;

/// <summary>
/// The data plane of one shard (key "jobId/shard"): the client uploads the shard's input rows
/// here and streams its output rows from here, so no tensor passes through the coordinator.
/// </summary>
[Alias("distattn.IShardData")]
public interface IShardData : IGrainWithStringKey
{
    /// <summary>
    /// Receives a block of this shard's input rows (the job's <see cref="JobWork.Inputs"/>).
    /// Sending the same block again replaces it, so an interrupted upload can simply be repeated.
    /// </summary>
    /// <exception cref="ArgumentException">The block does not fit this shard's rows or the input's shape.</exception>
    [Alias("LoadInput")]
    Task LoadInputAsync(TensorChunk chunk);

    /// <summary>This shard's rows of output <paramref name="name"/> from absolute row <paramref name="fromRow"/> on, in chunks of at most <see cref="StreamBatching.OutputChunkBytes"/>.</summary>
    /// <exception cref="ArgumentException">The job has no such output.</exception>
    /// <exception cref="InvalidOperationException">The shard holds no output (not completed, or lost with its silo).</exception>
    [Alias("ReadOutput")]
    IAsyncEnumerable<TensorChunk> ReadOutputAsync(string name, long fromRow, CancellationToken cancellationToken = default);
}
