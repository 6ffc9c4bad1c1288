using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace DistributedAttention.Http;

/// <summary>The API on its own web host in front of a cluster reached through <see cref="IClusterAccess"/> (what <c>distattn serve</c> runs).</summary>
public static class ApiServer
{
    /// <summary>Starts the API on <paramref name="url"/> (port 0 picks a free one); the returned app's <see cref="Addresses"/> say where it listens.</summary>
    /// <param name="cluster">The cluster jobs run on.</param>
    /// <param name="url">Where to listen, e.g. http://127.0.0.1:8080.</param>
    /// <param name="serviceName">The telemetry service name.</param>
    /// <param name="configure">API settings after configuration.</param>
    /// <param name="tracing">More tracing configuration (a test's exporter).</param>
    /// <param name="logLevel">Least level the console shows.</param>
    /// <param name="host">More host configuration (e.g. making it an Orleans client with the dashboard's services).</param>
    /// <param name="clusterDashboard">Serve the Orleans dashboard (the host must have its services).</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    public static async Task<WebApplication> StartAsync(
        IClusterAccess cluster, string url, string serviceName, Action<ApiOptions>? configure = null, Action<TracerProviderBuilder>? tracing = null,
        LogLevel logLevel = LogLevel.Warning, Action<WebApplicationBuilder>? host = null, bool clusterDashboard = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.WebHost.UseUrls(url);
        builder.Services.AddSingleton(cluster);
        builder.AddDistributedAttentionApi(serviceName, configure, tracing);
        host?.Invoke(builder);
        var app = builder.Build();
        app.MapDistributedAttentionApi();
        if (clusterDashboard) app.MapClusterDashboard();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return app;
    }

    /// <summary>Where <paramref name="app"/> listens (after start).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
    }
}
