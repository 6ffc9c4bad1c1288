using DistributedAttention.Abstractions;
using DistributedAttention.Grains.Placement;

namespace DistributedAttention.Grains.Jobs;

/// <summary>The shards of a job as grain calls to <see cref="IShardControl"/>.</summary>
internal sealed class OrleansJobShards(IGrainFactory grains, JobPlan plan) : IJobShards
{
    public int Count => plan.Count;

    public Task InitializeAsync(int shard) => Shard(shard).InitializeAsync(Assignment(shard));

    public Task<ShardProbe> ProbeAsync(int shard) => Shard(shard).ProbeAsync();

    public Task<LayerReport> PrepareAsync(int shard) => Shard(shard).PrepareAsync();

    public Task<LayerReport> RunLayerAsync(int shard, int layer, int attempt) => Shard(shard).RunLayerAsync(layer, attempt);

    public Task AbortAsync(int shard, int attempt) => Shard(shard).AbortAsync(attempt);

    public Task RestoreAsync(int shard, int layer, int holder) => Shard(shard).RestoreAsync(Assignment(shard), layer, holder);

    public Task<LayerReport> ReplicateAsync(int shard, int layer) => Shard(shard).ReplicateAsync(layer);

    public Task ReleaseAsync(int shard) => Shard(shard).ReleaseAsync();

    private ShardAssignment Assignment(int shard) => new(plan.JobId, shard, plan.Bounds, plan.Work, plan.Options);

    private IShardControl Shard(int shard) => grains.GetGrain<IShardControl>(ShardKey.Format(plan.JobId, shard));
}
