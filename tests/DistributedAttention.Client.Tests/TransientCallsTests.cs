using DistributedAttention.Abstractions;

namespace DistributedAttention.Client.Tests;

/// <summary>Which failures a retried call repeats: unreachable grains and Orleans' own cancellations, never answers or the caller's cancellation.</summary>
public sealed class TransientCallsTests
{
    [Fact]
    public async Task Timeouts_and_cancellations_that_are_not_the_callers_are_repeated()
    {
        var calls = 0;
        var result = await TransientCalls.RetryAsync(() =>
        {
            calls++;
            return calls switch
            {
                1 => Task.FromException<int>(new TimeoutException("no answer")),
                2 => Task.FromException<int>(new OperationCanceledException("the call was cancelled while its silo died")),
                _ => Task.FromResult(42),
            };
        }, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal(42, result);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task An_answer_is_not_repeated()
    {
        var calls = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(() => TransientCalls.RetryAsync(() =>
        {
            calls++;
            return Task.FromException<int>(new InvalidOperationException("shard 2 has no input"));
        }, TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task The_callers_own_cancellation_stops_the_retries()
    {
        using var cancel = new CancellationTokenSource();
        var calls = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TransientCalls.RetryAsync(() =>
        {
            calls++;
            cancel.Cancel();
            return Task.FromException<int>(new OperationCanceledException(cancel.Token));
        }, TimeSpan.FromSeconds(30), cancel.Token));
        Assert.Equal(1, calls);
    }
}
