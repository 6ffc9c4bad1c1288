using System.Net;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace DistributedAttention.Cli.Cluster;

/// <summary>
/// Hosts one DistributedAttention silo in this process (<c>distattn silo</c>): a generic host
/// with <c>AddDistributedAttentionSilo</c>, localhost clustering
/// around a primary silo or Redis clustering. Orleans logs warnings and errors to stderr, so
/// stdout carries only the CLI's own lines.
/// </summary>
public sealed class SiloLauncher : ISiloLauncher
{
    private readonly TimeSpan stopTimeout;
    private readonly LogLevel logLevel;

    /// <summary>A launcher that gives a graceful stop <paramref name="stopTimeout"/> (default 20 s) and logs at <paramref name="logLevel"/> and above.</summary>
    public SiloLauncher(TimeSpan? stopTimeout = null, LogLevel logLevel = LogLevel.Warning)
    {
        this.stopTimeout = stopTimeout ?? TimeSpan.FromSeconds(20);
        this.logLevel = logLevel;
    }

    /// <summary>The silo settings <paramref name="options"/> stand for.</summary>
    /// <exception cref="UsageException">A primary on another host was named (localhost clustering is for one machine).</exception>
    public static SiloSettings Settings(SiloLaunchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SiloSettings
        {
            ClusterId = options.ClusterId,
            ServiceId = options.ServiceId,
            Clustering = options.Redis is null ? ClusteringMode.Localhost : ClusteringMode.Redis,
            RedisConnectionString = options.Redis,
            SiloPort = options.SiloPort,
            GatewayPort = options.GatewayPort,
            PrimarySiloPort = options.Primary is { } primary ? LocalPort(primary) : null,
            Devices = [.. options.Devices],
        };
    }

    /// <inheritdoc />
    public async Task RunAsync(SiloLaunchOptions options, Action<SiloStarted> started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        var settings = Settings(options);
        settings.Validate();
        TorchRuntime.EnsureLoaded();

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "distattn-silo" });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.AddDistributedAttentionSilo(settings);
        using var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new ClusterUnavailableException($"the silo could not start: {e.Message}", e);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var address = host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        started(new SiloStarted(address.ToString(), settings.SiloPort, settings.GatewayPort, [.. settings.Devices], settings.ClusterId));
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C / SIGTERM: leave the cluster cleanly.
        }
        using var stop = new CancellationTokenSource(stopTimeout);
        try
        {
            await host.StopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Out of time; the others will find this silo gone.
        }
    }

    /// <summary>Localhost clustering binds the loopback interface, so its primary must be there too.</summary>
    private static int LocalPort(DnsEndPoint primary)
    {
        var local = primary.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(primary.Host, out var ip) && IPAddress.IsLoopback(ip));
        return local
            ? primary.Port
            : throw new UsageException($"--primary {primary.Host}:{primary.Port}: static clustering runs on one machine (127.0.0.1); use --redis for silos on several hosts.");
    }
}
