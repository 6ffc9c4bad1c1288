namespace DistributedAttention.Grains.Jobs;

/// <summary>
/// Shards lost with their silos after the upload and before the first copies existed: their
/// inputs are gone, so the job goes back to its upload (the client sends the inputs again).
/// </summary>
internal sealed class InputsLostException(IReadOnlyList<int> shards)
    : Exception($"shard(s) {string.Join(", ", shards)} were lost with their silo before the job was prepared, and their uploaded inputs with them.")
{
    /// <summary>The shards that lost their inputs.</summary>
    public IReadOnlyList<int> Shards { get; } = shards;
}
