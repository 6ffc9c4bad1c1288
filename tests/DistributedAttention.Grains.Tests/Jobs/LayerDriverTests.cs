using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Grains.Jobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistributedAttention.Grains.Tests.Jobs;

/// <summary>
/// The coordinator's logic without a cluster: layers as numbered attempts, lost shards restored
/// from the first surviving copy among the next r shards, real errors not retried, and a resumed
/// run that stops the old attempt and restores what the coordinator's silo took with it.
/// </summary>
public sealed class LayerDriverTests
{
    private static JobRecord Record(int shards, int layers, int replicas)
    {
        var model = new TransformerOptions
        {
            VocabSize = 10, ModelDim = 8, Heads = 2, Layers = layers, FeedForwardDim = 8,
            LayerAttention = TransformerOptions.Uniform(new AttentionSpec(), layers),
        };
        var bounds = Enumerable.Range(0, shards + 1).Select(s => (long)s * 10).ToArray();
        var placements = Enumerable.Range(0, shards).Select(s => new ShardPlacement(s, s * 10, s * 10 + 10, $"silo-{s}", "cpu")).ToArray();
        return new JobRecord
        {
            Plan = new JobPlan("job", new ModelWork(model, shards * 10), new JobOptions(shards, Replicas: replicas), bounds, placements),
            State = JobState.Running,
            Placements = placements,
            LayersDone = new int[shards],
            BytesPerLayer = new long[layers],
        };
    }

    private sealed class Run(int shards, int layers, int replicas)
    {
        public JobRecord Record { get; } = Record(shards, layers, replicas);

        public FakeJobShards Shards { get; } = new(shards, replicas, layers);

        /// <summary>The record's attempt number at each save: a resumed coordinator must find every used attempt saved.</summary>
        public List<int> SavedAttempts { get; } = [];

        public async Task PrepareAsync()
        {
            for (var s = 0; s < Shards.Count; s++) await Shards.PrepareAsync(s);
            Record.Prepared = true;
        }

        public JobRun Job() => new(Shards, Record, () =>
        {
            SavedAttempts.Add(Record.Attempt);
            return Task.CompletedTask;
        }, NullLogger.Instance, "job");
    }

    [Fact]
    public async Task Every_layer_runs_once_on_every_shard_and_each_attempt_is_saved_before_use()
    {
        var run = new Run(3, 2, 1);
        await run.Job().RunAsync(resuming: false, default);

        Assert.Equal(2, run.Record.LayersCompleted);
        Assert.Equal([2, 2, 2], run.Record.LayersDone);
        Assert.Equal(["run 0 L0 a1", "run 1 L0 a1", "run 2 L0 a1", "run 0 L1 a2", "run 1 L1 a2", "run 2 L1 a2"], run.Shards.Calls.Where(c => c.StartsWith("run", StringComparison.Ordinal)));
        Assert.Contains(1, run.SavedAttempts);
        Assert.Contains(2, run.SavedAttempts);
        Assert.Empty(run.Record.Recoveries);
        Assert.Equal(3 * 100, run.Record.BytesPerLayer[1]);
        Assert.Equal(["prepare", "layer 0", "layer 1"], run.Record.Phases.Select(p => p.Phase));
    }

    [Fact]
    public async Task A_lost_shard_is_restored_from_its_neighbour_and_the_layer_reruns_as_a_new_attempt()
    {
        var run = new Run(4, 3, 1);
        await run.PrepareAsync();
        run.Shards.BeforeRun = (shard, layer, attempt) =>
        {
            if (shard == 1 && layer == 1 && attempt == 2) run.Shards.Kill(1);
        };
        await run.Job().RunAsync(resuming: false, default);

        Assert.Equal(3, run.Record.LayersCompleted);
        var recovery = Assert.Single(run.Record.Recoveries);
        Assert.Equal((1, 1, "silo-1", "silo-1'"), (recovery.Shard, recovery.Layer, recovery.LostSilo, recovery.NewSilo));
        Assert.Equal("copy of its layer-1 input kept by shard 2", recovery.Source);
        // The failed attempt was stopped everywhere, only the lost shard was restored, and the layer ran again as attempt 3.
        Assert.All(Enumerable.Range(0, 4), s => Assert.Contains($"abort {s} a2", run.Shards.Calls));
        Assert.Equal(["restore 1 L1 from 2"], run.Shards.Calls.Where(c => c.StartsWith("restore", StringComparison.Ordinal)));
        Assert.All(Enumerable.Range(0, 4), s => Assert.Contains($"run {s} L1 a3", run.Shards.Calls));
        Assert.Contains(run.Record.Phases, p => p.Phase == "recovery (layer 1)");
        Assert.Equal("silo-1'", run.Record.Placements[1].Silo);
    }

    [Fact]
    public async Task An_abort_of_a_lost_shard_that_ends_cancelled_does_not_fail_the_job()
    {
        // Seen on a real cluster: the abort of a shard on a silo just killed failed with Orleans' own
        // OperationCanceledException, which must not pass for the job's cancellation.
        var run = new Run(4, 3, 1);
        await run.PrepareAsync();
        run.Shards.AbortOfLostShardIsCancelled = true;
        run.Shards.BeforeRun = (shard, layer, attempt) =>
        {
            if (shard == 1 && layer == 1 && attempt == 2) run.Shards.Kill(1);
        };
        await run.Job().RunAsync(resuming: false, default);

        Assert.Equal(3, run.Record.LayersCompleted);
        Assert.Contains("abort 1 a2", run.Shards.Calls);
        Assert.Equal(1, Assert.Single(run.Record.Recoveries).Shard);
    }

    [Fact]
    public async Task Two_adjacent_shards_lost_with_one_replica_fail_the_job_naming_them()
    {
        var run = new Run(4, 2, 1);
        await run.PrepareAsync();
        run.Shards.BeforeRun = (shard, layer, attempt) =>
        {
            if (layer == 1 && attempt == 2 && shard == 0)
            {
                run.Shards.Kill(1);
                run.Shards.Kill(2);
            }
        };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => run.Job().RunAsync(resuming: false, default));
        Assert.Contains("shard 1 was lost at layer 1 and no copy of its input survives (every shard keeping one was lost too: 2)", e.Message);
        Assert.Contains("more replicas", e.Message);
    }

    [Fact]
    public async Task Two_adjacent_shards_lost_with_two_replicas_are_both_restored_from_the_next_one()
    {
        var run = new Run(4, 2, 2);
        await run.PrepareAsync();
        run.Shards.BeforeRun = (shard, layer, attempt) =>
        {
            if (layer == 1 && attempt == 2 && shard == 0)
            {
                run.Shards.Kill(1);
                run.Shards.Kill(2);
            }
        };
        await run.Job().RunAsync(resuming: false, default);

        Assert.Equal(2, run.Record.LayersCompleted);
        Assert.Equal(["restore 1 L1 from 3", "restore 2 L1 from 3"], run.Shards.Calls.Where(c => c.StartsWith("restore", StringComparison.Ordinal)));
        Assert.Equal([1, 2], run.Record.Recoveries.Select(r => r.Shard));
    }

    [Fact]
    public async Task After_a_recovery_every_shard_copies_its_input_again_so_a_second_loss_in_the_same_layer_is_survived()
    {
        var run = new Run(3, 2, 1);
        await run.PrepareAsync();
        // Shard 2 is lost, and with it its copy of shard 1's input; then shard 1 is lost in the rerun.
        run.Shards.BeforeRun = (shard, layer, attempt) =>
        {
            if (shard == 0 && layer == 0 && attempt == 1) run.Shards.Kill(2);
            if (shard == 0 && layer == 0 && attempt == 2) run.Shards.Kill(1);
        };
        await run.Job().RunAsync(resuming: false, default);

        Assert.Equal(["restore 2 L0 from 0", "restore 1 L0 from 2"], run.Shards.Calls.Where(c => c.StartsWith("restore", StringComparison.Ordinal)));
        Assert.All(Enumerable.Range(0, 3), s => Assert.Contains($"replicate {s} L0", run.Shards.Calls));
        Assert.Equal(2, run.Record.LayersCompleted);
        Assert.True(run.Record.BytesByCollective["backup"] > 0, "the recopies must be counted as backup traffic.");
    }

    [Fact]
    public async Task A_failing_shard_that_was_not_lost_ends_the_job_at_once()
    {
        var run = new Run(3, 2, 1);
        await run.PrepareAsync();
        run.Shards.BeforeRun = (shard, layer, _) =>
        {
            if (shard == 2 && layer == 1) throw new ArgumentException("global position 99 is outside the sequence.");
        };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => run.Job().RunAsync(resuming: false, default));
        Assert.Equal("shard 2 failed in layer 1: global position 99 is outside the sequence.", e.Message);
        Assert.DoesNotContain(run.Shards.Calls, c => c.StartsWith("restore", StringComparison.Ordinal));
        Assert.Equal(1, run.Record.LayersCompleted);
    }

    [Fact]
    public async Task A_shard_lost_in_every_attempt_fails_the_layer_after_the_attempt_limit()
    {
        var run = new Run(3, 1, 1);
        await run.PrepareAsync();
        run.Shards.BeforeRun = (shard, _, _) =>
        {
            if (shard == 1) run.Shards.Kill(1);
        };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => run.Job().RunAsync(resuming: false, default));
        Assert.Contains($"layer 0 failed {LayerDriver.MaxAttemptsPerLayer} times; shards lost: 1", e.Message);
    }

    [Fact]
    public async Task A_resumed_run_stops_the_old_attempt_restores_the_lost_shards_and_goes_on_with_newer_attempts()
    {
        // The lost coordinator had completed layers 0 and 1 and started attempt 7 of layer 2; its silo held shard 0.
        var resumed = new Run(3, 4, 1);
        await resumed.PrepareAsync();
        for (var layer = 0; layer < 2; layer++)
        {
            for (var s = 0; s < 3; s++) await resumed.Shards.RunLayerAsync(s, layer, layer + 1);
        }
        (resumed.Record.LayersCompleted, resumed.Record.Attempt) = (2, 7);
        resumed.Shards.Kill(0);
        resumed.Shards.Calls.Clear();

        await resumed.Job().RunAsync(resuming: true, default);

        var calls = resumed.Shards.Calls;
        Assert.Equal(["abort 0 a7", "abort 1 a7", "abort 2 a7"], calls.Where(c => c.StartsWith("abort", StringComparison.Ordinal)).Order());
        Assert.Equal(["restore 0 L2 from 1"], calls.Where(c => c.StartsWith("restore", StringComparison.Ordinal)));
        Assert.True(calls.IndexOf("restore 0 L2 from 1") < calls.IndexOf("run 0 L2 a8"), "the lost shard must be restored before the layer runs.");
        Assert.All(Enumerable.Range(0, 3), s => Assert.Contains($"run {s} L3 a9", calls));
        Assert.Equal(4, resumed.Record.LayersCompleted);
        Assert.Contains(resumed.Record.Phases, p => p.Phase == "resume (layer 2)");
    }

    [Fact]
    public async Task A_shard_lost_after_the_job_is_restored_to_its_input_to_the_last_layer_and_that_layer_runs_again()
    {
        var run = new Run(3, 2, 1);
        await run.Job().RunAsync(resuming: false, default);
        var driver = new LayerDriver(run.Shards, run.Record, new ShardRecovery(run.Shards, run.Record), () => Task.CompletedTask, NullLogger.Instance, "job");
        Assert.False(await driver.RecomputeLastAsync(2, "nothing lost", default));
        Assert.DoesNotContain(run.Shards.Calls, c => c.StartsWith("run", StringComparison.Ordinal) && c.EndsWith("a3", StringComparison.Ordinal));

        run.Shards.Kill(1);
        // No shard keeps a copy of an output of the last layer, only of the inputs to it.
        await Assert.ThrowsAsync<InvalidOperationException>(() => run.Shards.RestoreAsync(1, 2, 2));
        run.Shards.Calls.Clear();

        Assert.True(await driver.RecomputeLastAsync(2, "a shard's output could not be read after the job completed", default));

        var calls = run.Shards.Calls;
        Assert.Equal(["restore 1 L1 from 2"], calls.Where(c => c.StartsWith("restore", StringComparison.Ordinal)));
        Assert.All(Enumerable.Range(0, 3), s => Assert.Contains($"run {s} L1 a3", calls));
        Assert.True(calls.IndexOf("restore 1 L1 from 2") < calls.IndexOf("run 1 L1 a3"), "the lost shard must be restored before the layer runs.");
        Assert.All(Enumerable.Range(0, 3), s => Assert.True(run.Shards.Holds(s, 2), $"shard {s} must hold its output again."));
        var recovery = Assert.Single(run.Record.Recoveries);
        Assert.Equal((1, 1, "copy of its layer-1 input kept by shard 2"), (recovery.Shard, recovery.Layer, recovery.Source));
    }

    [Fact]
    public async Task A_shard_that_lost_its_uploaded_inputs_before_preparing_ends_the_run_naming_it_for_a_new_upload()
    {
        var run = new Run(3, 1, 1);
        run.Shards.Kill(2);
        var e = await Assert.ThrowsAsync<InputsLostException>(() => run.Job().RunAsync(resuming: false, default));
        Assert.Equal([2], e.Shards);
        Assert.Equal("shard(s) 2 were lost with their silo before the job was prepared, and their uploaded inputs with them.", e.Message);
    }
}
