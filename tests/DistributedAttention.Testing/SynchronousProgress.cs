namespace DistributedAttention.Testing;

/// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool, so a last report could arrive after the awaited call returned).</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
