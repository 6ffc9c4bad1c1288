namespace DistributedAttention.Client;

/// <summary>
/// Control calls a client repeats while the cluster settles: after a silo is lost, a call can
/// land on its dead gateway or on a grain whose silo is not yet declared dead. Only idempotent
/// calls go through here (submitting under a job id, starting, uploading the same rows again,
/// reading a plan or status), so a repeat never does anything twice.
/// </summary>
internal static class ClientRetry
{
    /// <summary>Failures of reaching the cluster; anything else is an answer.</summary>
    public static bool IsTransient(Exception e) => e is TimeoutException or OrleansException;

    /// <summary>Runs <paramref name="call"/>, repeating transient failures with backoff for up to <paramref name="limit"/>.</summary>
    public static async Task<T> CallAsync<T>(Func<Task<T>> call, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + limit;
        for (var delay = TimeSpan.FromMilliseconds(100); ; delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000)))
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc cref="CallAsync{T}"/>
    public static Task CallAsync(Func<Task> call, TimeSpan limit, CancellationToken cancellationToken) =>
        CallAsync(async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }, limit, cancellationToken);
}
