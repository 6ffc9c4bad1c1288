using DistributedAttention.Abstractions;

namespace DistributedAttention.Cli.Tests.Fakes;

/// <summary>A shard of a <see cref="FakeJobGrain"/>: only input upload is used by the client.</summary>
internal sealed class FakeShardGrain(FakeJobGrain job, int shard) : IShardGrain
{
    public Task LoadInputAsync(TensorChunk chunk)
    {
        job.LoadShardInput(shard, chunk);
        return Task.CompletedTask;
    }

    public Task InitializeAsync(ShardAssignment assignment) => throw new NotSupportedException();

    public Task<ShardPlacement> GetPlacementAsync() => throw new NotSupportedException();

    public Task<LayerReport> RunLayerAsync(int layer, int attempt) => throw new NotSupportedException();

    public Task DeliverAsync(RingMessage message) => throw new NotSupportedException();

    public Task AbortAsync(int attempt) => throw new NotSupportedException();

    public Task StoreBackupAsync(int owner, int layer, TensorChunk chunk) => throw new NotSupportedException();

    public IAsyncEnumerable<TensorChunk> ReadBackupAsync(int owner, int layer, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task RestoreAsync(ShardAssignment assignment, int layer) => throw new NotSupportedException();

    public IAsyncEnumerable<TensorChunk> ReadOutputAsync(string name, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task ReleaseAsync() => throw new NotSupportedException();
}
