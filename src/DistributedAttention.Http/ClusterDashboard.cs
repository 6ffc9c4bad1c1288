using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;

namespace DistributedAttention.Http;

/// <summary>
/// The Orleans dashboard (grains, silos, calls per second) on the API's host under
/// <see cref="RoutePrefix"/>, never open beyond loopback: requests from other addresses need the
/// token of <see cref="ApiOptions.DashboardToken"/> (a bearer header, or <c>?token=</c> once,
/// which sets a cookie); with no token configured they are refused.
/// </summary>
public static class ClusterDashboard
{
    /// <summary>Where the dashboard is served.</summary>
    public const string RoutePrefix = "/dashboard";

    /// <summary>The cookie that carries the token after <c>?token=</c>.</summary>
    public const string Cookie = "distattn-dashboard";

    /// <summary>Maps the dashboard behind <see cref="Allows"/>. The host must have the dashboard's services (a silo, or a client with <c>AddDashboard()</c>).</summary>
    public static WebApplication MapClusterDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<ApiOptions>>();
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments(RoutePrefix))
            {
                await next(context);
                return;
            }
            var token = options.Value.DashboardToken;
            if (!string.IsNullOrEmpty(token) && context.Request.Query.TryGetValue("token", out var given) && Same(given.ToString(), token))
            {
                // Once through the query, then by cookie (HttpOnly), so the token leaves the address bar.
                context.Response.Cookies.Append(Cookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = RoutePrefix, Secure = context.Request.IsHttps });
                context.Response.Redirect(context.Request.PathBase + context.Request.Path);
                return;
            }
            if (!Allows(context, token))
            {
                await Problems.Of(StatusCodes.Status403Forbidden, "Dashboard refused",
                    string.IsNullOrEmpty(token)
                        ? "the Orleans dashboard is served to loopback only; set DistributedAttention:Api:DashboardToken to open it to other addresses with a token."
                        : "the Orleans dashboard needs its token beyond loopback: send 'Authorization: Bearer TOKEN' or open /dashboard?token=TOKEN once.").ExecuteAsync(context);
                return;
            }
            await next(context);
        });
        app.MapOrleansDashboard(RoutePrefix);
        return app;
    }

    /// <summary>Whether <paramref name="context"/> may see the dashboard: from loopback always; from elsewhere only with <paramref name="token"/>.</summary>
    public static bool Allows(HttpContext context, string? token)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote)) return true;
        if (string.IsNullOrEmpty(token)) return false;
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && Same(header[7..].Trim(), token)) return true;
        return context.Request.Cookies.TryGetValue(Cookie, out var cookie) && Same(cookie, token);
    }

    private static bool Same(string given, string token) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token));
}
