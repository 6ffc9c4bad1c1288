using System.Net;
using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Hosting;
using DistributedAttention.Http;
using DistributedAttention.Observability;
using DistributedAttention.Pipeline;
using DistributedAttention.Pipeline.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

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

    /// <summary>Applies the flags that were given to <paramref name="target"/> (on top of configuration).</summary>
    /// <exception cref="UsageException">A primary on another host was named (localhost clustering is for one machine).</exception>
    public static void Apply(SiloLaunchOptions options, DistributedAttentionSiloOptions target)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(target);
        if (options.ClusterId is { } clusterId) target.ClusterId = clusterId;
        if (options.ServiceId is { } serviceId) target.ServiceId = serviceId;
        if (options.Redis is { } redis)
        {
            target.Clustering = ClusteringMode.Redis;
            target.RedisConnectionString = redis;
        }
        if (options.SiloPort is { } siloPort) target.SiloPort = siloPort;
        if (options.GatewayPort is { } gatewayPort) target.GatewayPort = gatewayPort;
        if (options.Primary is { } primary) target.PrimarySiloPort = LocalPort(primary);
        if (options.Devices is { Count: > 0 } devices) target.Devices = [.. devices];
        if (options.JobStore is { } store) target.JobStore = store;
        if (options.Backups is { } backups) target.Backups = backups;
        if (options.BackupDirectory is { } folder) target.BackupDirectory = folder;
        if (options.MemoryBudgetBytes is { } budget) target.MemoryBudgetBytes = budget;
        if (options.Tls is { } tls)
        {
            target.Tls.CertificatePath = tls.CertificatePath ?? target.Tls.CertificatePath;
            target.Tls.KeyPath = tls.KeyPath ?? target.Tls.KeyPath;
            target.Tls.AuthorityPath = tls.AuthorityPath ?? target.Tls.AuthorityPath;
        }
    }

    /// <summary>The options this silo runs with: configuration (environment variables), then the flags given.</summary>
    /// <exception cref="UsageException">A flag is invalid.</exception>
    /// <exception cref="OptionsValidationException">The options are invalid; every problem is named.</exception>
    public static DistributedAttentionSiloOptions Resolve(SiloLaunchOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var resolved = new DistributedAttentionSiloOptions();
        configuration.GetSection(SiloHostingExtensions.SiloSection).Bind(resolved);
        Apply(options, resolved);
        var result = new DistributedAttentionSiloOptionsValidator().Validate(null, resolved);
        if (result.Failed) throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(DistributedAttentionSiloOptions), result.Failures);
        return resolved;
    }

    /// <inheritdoc />
    public async Task RunAsync(SiloLaunchOptions options, Action<SiloStarted> started, Action<SiloDrainStatus> draining, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        ArgumentNullException.ThrowIfNull(draining);
        var settings = Resolve(options, new ConfigurationBuilder().AddEnvironmentVariables().Build());
        TorchRuntime.EnsureLoaded();
        // With --http the silo's host is a web application serving the API; else a plain host, traced on its own.
        using var telemetry = options.HttpPort is null ? TelemetrySetup.StartForProcess("distattn-silo") : null;
        var (host, app) = options.HttpPort is { } httpPort ? BuildWebHost(options, settings, httpPort) : (BuildHost(options), null);
        using var owned = host;
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
        var http = app is null ? null : ApiServer.Addresses(app).FirstOrDefault();
        started(new SiloStarted(address.ToString(), settings.SiloPort, settings.GatewayPort, settings.EffectiveDevices, settings.ClusterId, settings.EffectiveJobStore.ToString(), http));
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C / SIGTERM: drain (take no new work, let the running work finish), then leave the cluster cleanly.
        }
        var drain = host.Services.GetRequiredService<ISiloDrain>();
        draining(drain.Status with { Phase = DrainPhase.Draining });
        draining(await drain.DrainAsync(CancellationToken.None).ConfigureAwait(false));
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
    private IHost BuildHost(SiloLaunchOptions options)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "distattn-silo" });
        Configure(builder, options);
        return builder.Build();
    }

    private (IHost Host, WebApplication? App) BuildWebHost(SiloLaunchOptions options, DistributedAttentionSiloOptions settings, int httpPort)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        Configure(builder, options);
        builder.WebHost.UseUrls($"http://{options.HttpHost ?? "127.0.0.1"}:{httpPort}");
        // The silo's own grain factory: the API's jobs run on the cluster this silo belongs to.
        builder.Services.AddSingleton<IClusterAccess>(sp => new GrainClusterAccess(sp.GetRequiredService<IGrainFactory>(), $"cluster {settings.ClusterId}"));
        builder.AddDistributedAttentionApi("distattn-silo");
        // A silo has libtorch: book jobs measure the matmul roof here, as distattn process does.
        builder.Services.AddSingleton<ILocalBookWork>(TensorBookWork.Instance);
        var app = builder.Build();
        app.MapDistributedAttentionApi();
        app.MapClusterDashboard();
        return (app, app);
    }

    private void Configure(IHostApplicationBuilder builder, SiloLaunchOptions options)
    {
        builder.Configuration.AddEnvironmentVariables();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.AddDistributedAttentionSilo(o => Apply(options, o));
    }

    private static int LocalPort(DnsEndPoint primary)
    {
        var local = primary.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(primary.Host, out var ip) && IPAddress.IsLoopback(ip));
        return local
            ? primary.Port
            : throw new UsageException($"--primary {primary.Host}:{primary.Port}: static clustering runs on one machine (127.0.0.1); use --redis for silos on several hosts.");
    }
}
