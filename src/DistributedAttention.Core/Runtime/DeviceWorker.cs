using System.Collections.Concurrent;

namespace DistributedAttention.Core.Runtime;

/// <summary>
/// A dedicated compute thread for one device slot. Work items run one at a time in arrival
/// order, so a device is never oversubscribed and the thread pool stays free for messaging.
/// </summary>
public sealed class DeviceWorker : IComputeExecutor, IDisposable
{
    private readonly BlockingCollection<Action> queue = [];
    private readonly Thread thread;

    /// <summary>Starts the worker thread, named after <paramref name="name"/>.</summary>
    public DeviceWorker(string name)
    {
        thread = new Thread(Loop) { IsBackground = true, Name = $"compute {name}" };
        thread.Start();
    }

    /// <inheritdoc />
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.Add(() =>
        {
            if (cancellationToken.IsCancellationRequested)
            {
                completion.TrySetCanceled(cancellationToken);
                return;
            }
            try
            {
                completion.TrySetResult(work());
            }
            catch (Exception e)
            {
                completion.TrySetException(e);
            }
        }, CancellationToken.None);
        return completion.Task;
    }

    /// <summary>Stops accepting work and lets the thread finish what is queued.</summary>
    public void Dispose() => queue.CompleteAdding();

    private void Loop()
    {
        foreach (var item in queue.GetConsumingEnumerable()) item();
        queue.Dispose();
    }
}
