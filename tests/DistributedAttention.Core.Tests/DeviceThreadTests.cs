using System.Collections.Concurrent;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Core.Tests;

/// <summary>
/// The ring code does its tensor work on the shard's compute thread only. Each shard computes on
/// its own <see cref="DeviceWorker"/>; everything else (the code between awaits) is made to run
/// on one message thread: the executor and the transport complete their tasks there, so every
/// continuation resumes on it. TorchSharp counts the tensors each thread creates, so a slice, a
/// join, a merge, a device move or a transport copy made off a compute thread shows up as a
/// tensor created on the message thread.
/// </summary>
public sealed class DeviceThreadTests
{
    private const int N = 151;

    public static IEnumerable<object[]> Mechanisms() => ShardAttentionTests.Specs().Select(s => new object[] { s.Name });

    [Theory]
    [MemberData(nameof(Mechanisms))]
    public async Task Ring_tensor_work_runs_on_the_compute_threads_only(string mechanism)
    {
        TorchRuntime.EnsureLoaded();
        var spec = ShardAttentionTests.Specs().Single(s => s.Name == mechanism).Spec with { GlobalPositions = [0, 5, 40, 77, 120, 150] };
        if (spec.Kind is not (AttentionKind.Window or AttentionKind.BigBird)) spec = spec with { GlobalPositions = [] };
        var (q, k, v) = TensorAssert.RandomQkv(seed: mechanism.Length, batch: 1, heads: 2, n: N, d: 8);
        using (q)
        using (k)
        using (v)
        {
            using var expected = SingleDeviceAttention.Forward(spec, q, k, v);
            var layout = ShardAttentionTests.UnevenLayout(N, 3);
            using var loop = new MessageThread();
            var workers = Enumerable.Range(0, layout.Count).Select(s => new DeviceWorker($"shard {s}")).ToArray();
            try
            {
                var inputs = await Task.WhenAll(Enumerable.Range(0, layout.Count).Select(s => workers[s].RunAsync(() =>
                    (q.narrow(2, layout.Start(s), layout.Size(s)).contiguous(), k.narrow(2, layout.Start(s), layout.Size(s)).contiguous(),
                        v.narrow(2, layout.Start(s), layout.Size(s)).contiguous()))));
                var ring = new InMemoryRing(layout);
                var before = await loop.RunAsync(() => Task.FromResult(CreatedHere()));

                var shards = await loop.RunAsync(() => Task.WhenAll(Enumerable.Range(0, layout.Count).Select(s =>
                    ShardAttention.ForwardAsync(spec, inputs[s].Item1, inputs[s].Item2, inputs[s].Item3, new ResumeOn(ring.Endpoint(s), loop),
                        new ResumeOnExecutor(workers[s], loop), "t", CancellationToken.None))).WaitAsync(TimeSpan.FromMinutes(2)));

                var createdOffDevice = await loop.RunAsync(() => Task.FromResult(CreatedHere() - before));
                Assert.Equal(0, createdOffDevice);
                using var output = cat(shards.Select(r => r.Output).ToArray(), 2);
                Assert.InRange((output - expected.Output).abs().max().item<float>(), 0, 3e-5f);
                foreach (var r in shards) r.Dispose();
                foreach (var (a, b, c) in inputs)
                {
                    a.Dispose();
                    b.Dispose();
                    c.Dispose();
                }
            }
            finally
            {
                foreach (var w in workers) w.Dispose();
            }
        }
    }

    [Fact]
    public async Task The_check_sees_tensor_work_off_the_compute_thread()
    {
        TorchRuntime.EnsureLoaded();
        using var loop = new MessageThread();
        using var worker = new DeviceWorker("shard 0");
        var executor = new ResumeOnExecutor(worker, loop);
        var before = await loop.RunAsync(() => Task.FromResult(CreatedHere()));
        var after = await loop.RunAsync(async () =>
        {
            using var onDevice = await executor.RunAsync(() => ones(4));
            using var offDevice = onDevice.add(onDevice);
            return CreatedHere();
        });
        Assert.Equal(1, after - before);
    }

    /// <summary>Tensors created on the calling thread so far (in a dispose scope or not).</summary>
    private static long CreatedHere()
    {
        var stats = DisposeScopeManager.Statistics.TensorStatistics;
        return stats.CreatedInScopeCount + stats.CreatedOutsideScopeCount;
    }

    /// <summary>One thread that runs posted actions in order; tasks completed on it resume on it.</summary>
    private sealed class MessageThread : IDisposable
    {
        private readonly BlockingCollection<Action> queue = [];
        private readonly Thread thread;

        public MessageThread()
        {
            thread = new Thread(() =>
            {
                foreach (var item in queue.GetConsumingEnumerable()) item();
            })
            { IsBackground = true, Name = "ring messages" };
            thread.Start();
        }

        public void Post(Action action) => queue.Add(action);

        /// <summary>Starts <paramref name="start"/> on this thread; its continuations come back here through <see cref="Complete"/>.</summary>
        public Task<T> RunAsync<T>(Func<Task<T>> start)
        {
            var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            Post(() => start().ContinueWith(t => Copy(t, done), TaskContinuationOptions.ExecuteSynchronously));
            return done.Task;
        }

        /// <summary>A task that completes like <paramref name="task"/>, on this thread, running its awaiters inline there.</summary>
        public Task<T> Complete<T>(Task<T> task)
        {
            var here = new TaskCompletionSource<T>();
            task.ContinueWith(t => Post(() => Copy(t, here)), TaskContinuationOptions.ExecuteSynchronously);
            return here.Task;
        }

        public Task Complete(Task task) => Complete(task.ContinueWith(t =>
        {
            t.GetAwaiter().GetResult();
            return true;
        }, TaskContinuationOptions.ExecuteSynchronously));

        private static void Copy<T>(Task<T> from, TaskCompletionSource<T> to)
        {
            if (from.IsCanceled) to.TrySetCanceled();
            else if (from.IsFaulted) to.TrySetException(from.Exception!.InnerExceptions);
            else to.TrySetResult(from.Result);
        }

        public void Dispose()
        {
            queue.CompleteAdding();
            thread.Join(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>The device worker, with its results handed back on the message thread.</summary>
    private sealed class ResumeOnExecutor(DeviceWorker worker, MessageThread loop) : IComputeExecutor
    {
        public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default) =>
            worker.IsCurrentThread ? worker.RunAsync(work, cancellationToken) : loop.Complete(worker.RunAsync(work, cancellationToken));
    }

    /// <summary>The in-memory ring, with its receives handed back on the message thread.</summary>
    private sealed class ResumeOn(IRingTransport inner, MessageThread loop) : IRingTransport
    {
        public int Shard => inner.Shard;

        public ShardLayout Layout => inner.Layout;

        public Task SendAsync(int to, string tag, Tensor tensor, CancellationToken cancellationToken) => loop.Complete(inner.SendAsync(to, tag, tensor, cancellationToken));

        public Task<Tensor> ReceiveAsync(int from, string tag, CancellationToken cancellationToken) => loop.Complete(inner.ReceiveAsync(from, tag, cancellationToken));
    }
}
