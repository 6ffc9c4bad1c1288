namespace DistributedAttention.Abstractions;

/// <summary>
/// Calls repeated while a cluster settles: after a silo is lost, a call can land on its dead
/// gateway or on a grain whose silo is not yet declared dead, and fails with a timeout or an
/// Orleans exception; anything else is an answer and is not repeated. Only idempotent calls go
/// through here. Continuations stay on the caller's context (a grain's scheduler, in a grain).
/// </summary>
public static class TransientCalls
{
    /// <summary>Failures of reaching a grain; anything else is an answer.</summary>
    public static bool IsTransient(Exception e) => e is TimeoutException or OrleansException;

    /// <summary>
    /// Runs <paramref name="call"/>, repeating transient failures with backoff (100 ms doubling to 2 s) for up to <paramref name="limit"/>.
    /// A cancellation that is not the caller's (Orleans cancels a call addressed to a grain whose silo just died) counts as transient too.
    /// </summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeSpan limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var deadline = DateTime.UtcNow + limit;
        for (var delay = TimeSpan.FromMilliseconds(100); ; delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000)))
        {
            try
            {
                return await call();
            }
            catch (Exception e) when ((IsTransient(e) || e is OperationCanceledException) && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    /// <inheritdoc cref="RetryAsync{T}"/>
    public static Task RetryAsync(Func<Task> call, TimeSpan limit, CancellationToken cancellationToken) =>
        RetryAsync(async () =>
        {
            await call();
            return true;
        }, limit, cancellationToken);
}
