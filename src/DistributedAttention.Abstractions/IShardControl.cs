using Orleans.Concurrency;

namespace DistributedAttention.Abstractions;

/// <summary>
/// The coordinator's handle on one shard of one job (key "jobId/shard"): join, prepare, run a
/// layer, abort, restore after a loss, release. Shard grains are placed on device slots in
/// ring order and exchange data with their neighbours themselves (<see cref="IShardRing"/>).
/// </summary>
[Alias("distattn.IShardControl")]
public interface IShardControl : IGrainWithStringKey
{
    /// <summary>Joins a job (idempotent; a shard lost with its silo rejoins the same way).</summary>
    /// <exception cref="InvalidOperationException">The shard belongs to another job configuration.</exception>
    [Alias("Initialize")]
    Task InitializeAsync(ShardAssignment assignment);

    /// <summary>What the shard holds now and where it runs.</summary>
    [AlwaysInterleave, Alias("Probe")]
    Task<ShardProbe> ProbeAsync();

    /// <summary>Checks the inputs are complete, embeds tokens (model job) and gives the ring neighbours copies of the layer-0 input.</summary>
    /// <returns>What the shard sent (layer −1; the copies as "backup").</returns>
    [ResponseTimeout("01:00:00"), Alias("Prepare")]
    Task<LayerReport> PrepareAsync();

    /// <summary>
    /// Computes layer <paramref name="layer"/> as attempt <paramref name="attempt"/> together with
    /// the other shards. A newer attempt supersedes an older one still running here (it is
    /// aborted first), so a coordinator that resumes never runs two attempts on one shard.
    /// </summary>
    [ResponseTimeout("01:00:00"), Alias("RunLayer")]
    Task<LayerReport> RunLayerAsync(int layer, int attempt);

    /// <summary>Abandons every attempt up to <paramref name="attempt"/>: pending receives fail, their messages are dropped.</summary>
    [AlwaysInterleave, Alias("Abort")]
    Task AbortAsync(int attempt);

    /// <summary>Reloads this shard's input to <paramref name="layer"/> from the copy shard <paramref name="holder"/> keeps (after a loss).</summary>
    [ResponseTimeout("01:00:00"), Alias("Restore")]
    Task RestoreAsync(ShardAssignment assignment, int layer, int holder);

    /// <summary>
    /// Gives the next shards of the ring fresh copies of this shard's input to <paramref name="layer"/>
    /// (after a recovery: shards that were restored lost the copies they kept for others).
    /// </summary>
    /// <returns>What the shard sent (as "backup").</returns>
    [ResponseTimeout("01:00:00"), Alias("Replicate")]
    Task<LayerReport> ReplicateAsync(int layer);

    /// <summary>Drops every tensor of the job.</summary>
    [AlwaysInterleave, Alias("Release")]
    Task ReleaseAsync();
}
