namespace DistributedAttention.Grains.Jobs;

/// <summary>Calls that fail while the cluster settles (a dead silo's grains are unreachable until it is declared dead) are retried; answers are not.</summary>
internal static class Transient
{
    /// <summary>How long to keep retrying while membership settles.</summary>
    public static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Failures of reaching a grain; anything else is an answer.</summary>
    public static bool IsTransient(Exception e) => e is TimeoutException or OrleansException;

    /// <summary>Runs <paramref name="call"/>, retrying transient failures with backoff for up to <see cref="SettleTimeout"/>.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + SettleTimeout;
        for (var delay = TimeSpan.FromMilliseconds(100); ; delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000)))
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsTransient(e) && DateTime.UtcNow < deadline && !token.IsCancellationRequested)
            {
                await Task.Delay(delay, token);
            }
        }
    }

    /// <inheritdoc cref="RetryAsync{T}"/>
    public static Task RetryAsync(Func<Task> call, CancellationToken token) =>
        RetryAsync(async () =>
        {
            await call();
            return true;
        }, token);
}
