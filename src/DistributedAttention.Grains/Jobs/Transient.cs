using DistributedAttention.Abstractions;

namespace DistributedAttention.Grains.Jobs;

/// <summary>The coordinator's calls to shards, repeated while membership settles (<see cref="TransientCalls"/>) for up to <see cref="SettleTimeout"/>.</summary>
internal static class Transient
{
    /// <summary>How long to keep retrying while membership settles.</summary>
    public static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(3);

    /// <inheritdoc cref="TransientCalls.RetryAsync{T}"/>
    public static Task<T> RetryAsync<T>(Func<Task<T>> call, CancellationToken token) => TransientCalls.RetryAsync(call, SettleTimeout, token);

    /// <inheritdoc cref="TransientCalls.RetryAsync{T}"/>
    public static Task RetryAsync(Func<Task> call, CancellationToken token) => TransientCalls.RetryAsync(call, SettleTimeout, token);
}
