using System.Net;
using DistributedAttention.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedAttention.Http;

/// <summary>
/// A silo's drain over HTTP, for a Kubernetes preStop hook (<c>distattn drain</c>): <c>POST /admin/drain</c>
/// starts it (and with <c>?wait=true</c> answers when it ends), <c>GET /admin/drain</c> reports it.
/// Only callers on this machine may start one; mapped only on hosts that are silos.
/// </summary>
public static class DrainEndpoints
{
    /// <summary>Maps the drain endpoints when the host has an <see cref="ISiloDrain"/>.</summary>
    public static IEndpointRouteBuilder MapDrainEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ServiceProvider.GetService<ISiloDrain>() is null) return app;
        app.MapGet("/admin/drain", (ISiloDrain drain) => TypedResults.Ok(drain.Status))
            .WithTags("Silo").WithSummary("This silo's drain: serving, draining, drained or timed out");
        app.MapPost("/admin/drain", async (ISiloDrain drain, HttpContext context, bool? wait) =>
        {
            if (context.Connection.RemoteIpAddress is not { } caller || !IPAddress.IsLoopback(caller))
                return Problems.Of(StatusCodes.Status403Forbidden, "Forbidden", "a drain can only be started from the silo's own machine (e.g. a preStop hook).");
            var draining = drain.DrainAsync(CancellationToken.None);
            if (wait != true) return Results.Accepted("/admin/drain", drain.Status);
            try
            {
                return Results.Ok(await draining.WaitAsync(context.RequestAborted));
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The caller left; the drain goes on.
                return Results.Empty;
            }
        }).WithTags("Silo").WithSummary("Start draining this silo: no new work, the running work finishes, then it may stop");
        return app;
    }
}
