using DistributedAttention.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedAttention.Http;

/// <summary>/healthz (the process answers) and /readyz (the cluster has active silos to run jobs on, and this host, when a silo, is not draining).</summary>
public static class HealthEndpoints
{
    /// <summary>Maps the probes.</summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "up" })).WithTags("Health").WithSummary("The process is up");
        app.MapGet("/readyz", async (ApiJobs registry, HttpContext context) =>
        {
            // A draining silo takes no new work, so it stops taking API traffic too.
            if (context.RequestServices.GetService<ISiloDrain>() is { Status.Phase: not DrainPhase.Serving } drain)
                return Problems.Of(StatusCodes.Status503ServiceUnavailable, "Not ready", $"this silo is leaving the cluster (drain {drain.Status.Phase.ToString().ToLowerInvariant()}).");
            var silos = await registry.Cluster.ActiveSilosAsync(context.RequestAborted);
            return silos > 0
                ? Results.Ok(new { status = "ready", silos, cluster = registry.Cluster.Description })
                : Problems.Of(StatusCodes.Status503ServiceUnavailable, "Not ready", "no silo of the cluster is active yet.");
        }).WithTags("Health").WithSummary("The cluster has joined and can run jobs");
        return app;
    }
}
