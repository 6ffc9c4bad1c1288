using DistributedAttention.Core.Runtime;

namespace DistributedAttention.Core.Tests;

/// <summary>
/// A device's compute thread stops without pulling the ground from under the work it runs: the
/// running item finishes before Stop returns (its tensors and weights must outlive it), queued
/// and later items fail instead of running.
/// </summary>
public sealed class DeviceWorkerTests
{
    [Fact]
    public async Task An_item_sees_the_callers_current_span_and_runs_on_the_compute_thread()
    {
        using var worker = new DeviceWorker("test");
        using var source = new System.Diagnostics.ActivitySource("DistributedAttention.Core.Tests.DeviceWorker");
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        using var span = source.StartActivity("caller");
        Assert.NotNull(span);
        var (seen, thread) = await worker.RunAsync(() => (System.Diagnostics.Activity.Current, Thread.CurrentThread.Name));
        Assert.Same(span, seen);
        Assert.Equal("compute test", thread);
        // Nested work started on the compute thread runs inline, not behind the item that started it.
        Assert.Equal(3, await worker.RunAsync(() => worker.RunAsync(() => 3).Result));
    }

    [Fact]
    public async Task Stopping_waits_for_the_running_item_and_fails_the_queued_ones()
    {
        using var worker = new DeviceWorker("test");
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var finished = false;
        var running = worker.RunAsync(() =>
        {
            started.Set();
            release.Wait();
            finished = true;
            return 1;
        });
        var queued = worker.RunAsync(() => 2);
        started.Wait();

        // Stop from another thread while the item runs; it may return only after the item finished.
        var stop = Task.Run(() => worker.Stop(TimeSpan.FromMinutes(1)));
        // Once the worker refuses new work, Stop has begun; it must still be waiting for the running item.
        while (!worker.RunAsync(() => 0).IsFaulted) await Task.Delay(10);
        Assert.NotSame(stop, await Task.WhenAny(stop, Task.Delay(200)));
        release.Set();
        Assert.True(await stop);
        Assert.True(finished);
        Assert.Equal(1, await running);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => worker.RunAsync(() => 3));
    }

    [Fact]
    public async Task Stopping_twice_or_from_the_worker_itself_does_not_hang()
    {
        var worker = new DeviceWorker("test");
        Assert.True(await worker.RunAsync(() => worker.Stop(TimeSpan.FromSeconds(5))));
        Assert.True(worker.Stop(TimeSpan.FromSeconds(5)));
        worker.Dispose();
    }

    [Fact]
    public async Task A_worker_given_a_thread_share_runs_its_ops_with_it_and_work_on_every_core_gets_every_core()
    {
        TorchRuntime.EnsureLoaded();
        using var shared = new DeviceWorker("share", threads: 1);
        Assert.Equal(1, await shared.RunAsync(TorchSharp.torch.get_num_threads));
        // A thread started after that inherits the share; asking for every core overrides it for the call only.
        var (during, after) = await Task.Factory.StartNew(
            () => (ComputeThreads.OnEveryCore(TorchSharp.torch.get_num_threads), TorchSharp.torch.get_num_threads()), TaskCreationOptions.LongRunning);
        Assert.Equal(Environment.ProcessorCount, during);
        Assert.Equal(1, after);
        Assert.Equal(1, await shared.RunAsync(TorchSharp.torch.get_num_threads));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceWorker("negative", threads: -1));
    }
}
