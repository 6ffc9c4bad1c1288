using System.Diagnostics;
using DistributedAttention.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DistributedAttention.Http;

/// <summary>Wires the HTTP API into a web application: services, telemetry, routes.</summary>
public static class ApiHosting
{
    /// <summary>
    /// Adds the API's services: options from <see cref="ApiOptions.Section"/>, the job registry,
    /// problem details, OpenAPI, and OpenTelemetry for the whole process (traces exported only
    /// where OTEL_* says, or where <paramref name="tracing"/> adds an exporter; metrics always,
    /// for /metrics). The caller registers <see cref="IClusterAccess"/>.
    /// </summary>
    /// <param name="builder">The web application's builder.</param>
    /// <param name="serviceName">The service name, unless OTEL_SERVICE_NAME gives one.</param>
    /// <param name="configure">Overrides after configuration (e.g. from command-line flags).</param>
    /// <param name="tracing">More tracing configuration (a test's in-memory exporter); turns tracing on.</param>
    public static WebApplicationBuilder AddDistributedAttentionApi(this WebApplicationBuilder builder, string serviceName, Action<ApiOptions>? configure = null, Action<TracerProviderBuilder>? tracing = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ApiOptions>().Bind(builder.Configuration.GetSection(ApiOptions.Section)).Configure(o => configure?.Invoke(o)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        builder.Services.AddSingleton<ApiJobs>();
        builder.Services.AddHostedService<ApiJobSweeper>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "DistributedAttention";
            document.Info.Description = "Long-context attention over whole books on an Orleans cluster: submit jobs, watch them, download their outputs.";
            return Task.CompletedTask;
        }));
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(r => TelemetrySetup.ConfigureResource(r, serviceName));
        if (TelemetrySetup.OtlpConfigured || tracing is not null)
        {
            telemetry.WithTracing(t =>
            {
                t.AddDistributedAttentionTracing().AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path));
                tracing?.Invoke(t);
            });
        }
        telemetry.WithMetrics(m => m.AddDistributedAttentionMetrics().AddAspNetCoreInstrumentation().AddPrometheusExporter());
        return builder;
    }

    /// <summary>
    /// Maps the API: /v1/jobs…, /healthz, /readyz, /admin/drain (on silos), /metrics (Prometheus), /openapi/v1.json and the
    /// browsable API page at /docs; every response carries the trace id.
    /// </summary>
    public static WebApplication MapDistributedAttentionApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(async (context, next) =>
        {
            // The request's trace id; job routes replace it with their job's.
            if (Activity.Current is { } activity) context.Response.Headers[ApiHeaders.TraceId] = activity.TraceId.ToHexString();
            await next(context);
        });
        app.MapJobEndpoints();
        app.MapHealthEndpoints();
        app.MapDrainEndpoints();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapOpenApi();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/openapi/v1.json", "DistributedAttention v1");
            o.RoutePrefix = "docs";
            o.DocumentTitle = "DistributedAttention API";
        });
        return app;
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics");
}
