using System.Collections.Concurrent;

namespace DistributedAttention.Core.Runtime;

/// <summary>
/// A dedicated compute thread for one device slot. Work items run one at a time in arrival
/// order, so a device is never oversubscribed and the thread pool stays free for messaging.
/// </summary>
/// <remarks>
/// Stopping waits for the item that is running: its tensors (and the model weights it reads)
/// must outlive it, or native code would touch freed memory. Items queued but not started fail
/// with <see cref="ObjectDisposedException"/> instead of running.
/// </remarks>
public sealed class DeviceWorker : IComputeExecutor, IDisposable
{
    /// <summary>How long <see cref="Dispose"/> waits for a running item.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromMinutes(5);

    private readonly BlockingCollection<Action> queue = [];
    private readonly Thread thread;
    private readonly string name;
    private readonly int threads;
    private volatile bool stopping;

    /// <summary>Starts the worker thread, named after <paramref name="name"/>.</summary>
    /// <param name="name">The slot's name (the thread is called "compute NAME").</param>
    /// <param name="threads">libtorch intra-op threads for the CPU ops this thread starts; 0 keeps libtorch's default (every core).</param>
    public DeviceWorker(string name, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        this.name = name;
        this.threads = threads;
        thread = new Thread(Loop) { IsBackground = true, Name = $"compute {name}" };
        thread.Start();
    }

    /// <summary>Whether the caller is on this worker's compute thread.</summary>
    public bool IsCurrentThread => Thread.CurrentThread == thread;

    /// <inheritdoc />
    /// <remarks>Called from the compute thread itself (work that starts more work), it runs at once, inline.</remarks>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (IsCurrentThread) return InlineExecutor.Instance.RunAsync(work, cancellationToken);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The caller's async-local state (the current trace span above all) goes with the item, as
        // it would with Task.Run: a ring send made here is then a hop of the caller's span.
        var flow = ExecutionContext.Capture();
        void Item()
        {
            if (stopping)
            {
                completion.TrySetException(Stopped());
                return;
            }
            if (cancellationToken.IsCancellationRequested)
            {
                completion.TrySetCanceled(cancellationToken);
                return;
            }
            try
            {
                completion.TrySetResult(flow is null ? work() : RunIn(flow, work));
            }
            catch (Exception e)
            {
                completion.TrySetException(e);
            }
        }
        try
        {
            if (stopping) return Task.FromException<T>(Stopped());
            queue.Add(Item, CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return Task.FromException<T>(Stopped());
        }
        return completion.Task;
    }

    /// <summary>
    /// Stops the worker: queued items fail, and the call waits (up to <paramref name="timeout"/>)
    /// for the running one. Returns whether the thread has ended.
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        stopping = true;
        try
        {
            queue.CompleteAdding();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped.
        }
        return Thread.CurrentThread == thread || thread.Join(timeout);
    }

    /// <summary>Stops the worker, waiting up to <see cref="StopTimeout"/> for the running item.</summary>
    public void Dispose() => Stop(StopTimeout);

    private static T RunIn<T>(ExecutionContext flow, Func<T> work)
    {
        var result = default(T)!;
        ExecutionContext.Run(flow, _ => result = work(), null);
        return result;
    }

    private ObjectDisposedException Stopped() => new($"compute {name}", "the device's compute thread has stopped (its silo is shutting down).");

    private void Loop()
    {
        // OpenMP keeps the thread count per calling thread: several silos in one process would
        // otherwise each start a team of every core's size, and their threads fight for the cores.
        if (threads > 0) TorchSharp.torch.set_num_threads(threads);
        foreach (var item in queue.GetConsumingEnumerable()) item();
        queue.Dispose();
    }
}
