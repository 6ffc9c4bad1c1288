using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DistributedAttention.Http;

/// <summary>Deletes ended API jobs once they are older than <see cref="ApiOptions.JobRetention"/>, so the data folder does not grow without bound.</summary>
public sealed class ApiJobSweeper(ApiJobs jobs, IOptions<ApiOptions> options) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, options.Value.JobRetention.Ticks / 4));
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false)) jobs.Sweep(DateTime.UtcNow);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (also when the host is disposed without being stopped first): not a failure to log.
        }
    }
}
