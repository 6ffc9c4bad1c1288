namespace DistributedAttention.Core.Runtime;

/// <summary>
/// Runs synchronous tensor work somewhere suitable: inline for tests, or on a dedicated thread
/// per device so that long kernels never block the thread pool a silo's messaging runs on.
/// A work item must open and close its own dispose scopes: scopes are per thread, and the
/// code around an <c>await</c> may run on another thread.
/// </summary>
public interface IComputeExecutor
{
    /// <summary>Runs <paramref name="work"/> and returns its result.</summary>
    Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default);
}

/// <summary>Runs work on the calling thread (tests, single-device runs).</summary>
public sealed class InlineExecutor : IComputeExecutor
{
    /// <summary>The shared instance.</summary>
    public static InlineExecutor Instance { get; } = new();

    /// <inheritdoc />
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return Task.FromResult(work());
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }
}
