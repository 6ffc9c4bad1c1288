using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DistributedAttention.Http;

/// <summary>
/// The job routes' guard: callers on loopback are served; others must send the API key
/// (<see cref="ApiOptions.ApiKey"/>) as <c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c>;
/// with no key configured, the job routes serve loopback only. Health, readiness and metrics
/// stay open (probes and scrapers come from other addresses).
/// </summary>
public static class ApiKeys
{
    /// <summary>The header a key may come in, besides <c>Authorization: Bearer</c>.</summary>
    public const string Header = "X-Api-Key";

    /// <summary>An endpoint filter that answers 401 (wrong or missing key) or 403 (no key configured) to callers beyond loopback.</summary>
    public static async ValueTask<object?> RequireAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(next);
        var context = invocation.HttpContext;
        var key = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.ApiKey;
        if (IsLoopback(context) || (!string.IsNullOrEmpty(key) && Given(context) is { } given && Same(given, key))) return await next(invocation);
        return string.IsNullOrEmpty(key)
            ? Problems.Of(StatusCodes.Status403Forbidden, "API key required",
                "the job routes are served to loopback only; set DistributedAttention:Api:ApiKey (DISTATTN_API_KEY with docker compose) to open them to other addresses with that key.")
            : Problems.Of(StatusCodes.Status401Unauthorized, "API key required",
                $"beyond loopback the job routes need the API key: send 'Authorization: Bearer KEY' or '{Header}: KEY'.");
    }

    private static bool IsLoopback(HttpContext context) => context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);

    private static string? Given(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return authorization[7..].Trim();
        return context.Request.Headers.TryGetValue(Header, out var value) ? value.ToString() : null;
    }

    private static bool Same(string given, string key) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key));
}
