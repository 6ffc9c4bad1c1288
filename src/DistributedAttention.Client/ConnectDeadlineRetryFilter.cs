using System.Diagnostics;

namespace DistributedAttention.Client;

/// <summary>
/// Retries the client's first connection to the cluster once a second until a deadline, then lets
/// the start fail with Orleans' error (which names the gateways). The deadline counts from the
/// first failure, so a client that starts while the silos are still starting waits for them.
/// </summary>
internal sealed class ConnectDeadlineRetryFilter(TimeSpan timeout) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(1);
    private readonly Stopwatch sinceFirstFailure = new();

    /// <inheritdoc />
    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (!sinceFirstFailure.IsRunning) sinceFirstFailure.Start();
        if (sinceFirstFailure.Elapsed + Pause >= timeout || cancellationToken.IsCancellationRequested) return false;
        await Task.Delay(Pause, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
