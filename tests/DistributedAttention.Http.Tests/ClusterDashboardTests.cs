using System.Net;
using DistributedAttention.Testing.Processes;
using Microsoft.AspNetCore.Http;

namespace DistributedAttention.Http.Tests;

/// <summary>
/// The Orleans dashboard on the API's host: served from loopback (and rendered by headless
/// Chromium with the cluster's silos, the README's screenshot), refused beyond loopback without
/// the configured token.
/// </summary>
[Collection(ApiClusterCollection.Name)]
public sealed class ClusterDashboardTests(ApiCluster api)
{
    [Fact]
    public async Task The_orleans_dashboard_is_served_on_loopback_and_shows_the_silos()
    {
        var page = await api.Http.GetStringAsync("/dashboard/");
        Assert.Contains("Orleans Dashboard", page, StringComparison.Ordinal);

        HeadlessChromium.Find();
        await using var browser = await HeadlessChromium.StartAsync();
        var rendered = await browser.RenderAsync(new Uri(api.Http.BaseAddress!, "/dashboard/"), "Silos", "orleans-dashboard.png", TimeSpan.FromSeconds(60));
        Assert.True(rendered.TextAppeared, $"the Orleans dashboard did not render its silos; screenshot {rendered.ScreenshotPath}; page text: {rendered.Text}");
    }

    [Theory]
    [InlineData("127.0.0.1", null, null, true)]
    [InlineData("::1", null, null, true)]
    [InlineData("10.1.2.3", null, null, false)]
    [InlineData("10.1.2.3", "Bearer " + ApiCluster.DashboardToken, null, true)]
    [InlineData("10.1.2.3", "Bearer wrong-token-of-some-length", null, false)]
    [InlineData("10.1.2.3", null, ApiCluster.DashboardToken, true)]
    [InlineData("10.1.2.3", null, "wrong", false)]
    public void Beyond_loopback_the_dashboard_needs_the_token(string remote, string? authorization, string? cookie, bool allowed)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        if (authorization is not null) context.Request.Headers.Authorization = authorization;
        if (cookie is not null) context.Request.Headers.Cookie = $"{ClusterDashboard.Cookie}={cookie}";
        Assert.Equal(allowed, ClusterDashboard.Allows(context, ApiCluster.DashboardToken));
        // With no token configured, nothing beyond loopback gets in.
        Assert.Equal(IPAddress.IsLoopback(context.Connection.RemoteIpAddress), ClusterDashboard.Allows(context, null));
    }
}
