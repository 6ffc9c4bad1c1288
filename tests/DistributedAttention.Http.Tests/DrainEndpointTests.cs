using System.Net;
using DistributedAttention.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedAttention.Http.Tests;

/// <summary>
/// <c>POST /admin/drain</c> over real Kestrel: a caller on the silo's own machine starts the drain,
/// any other caller gets 403 and starts nothing. The caller's address is set by a middleware, as a
/// proxy in front of the silo would make it, since tests may only send traffic over loopback.
/// </summary>
public sealed class DrainEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("10.1.2.3", false)]
    [InlineData("192.168.0.7", false)]
    public async Task Only_a_caller_on_the_silos_own_machine_starts_a_drain(string caller, bool allowed)
    {
        var drain = new RecordingDrain();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton<ISiloDrain>(drain);
        builder.Services.AddRouting();
        await using var app = builder.Build();
        app.Use((context, next) =>
        {
            context.Connection.RemoteIpAddress = IPAddress.Parse(caller);
            return next(context);
        });
        app.MapDrainEndpoints();
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(ApiServer.Addresses(app)[0]) };

        using var response = await http.PostAsync("/admin/drain", null);
        Assert.Equal(allowed ? HttpStatusCode.Accepted : HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(allowed ? 1 : 0, drain.Started);
        if (!allowed) Assert.Contains("a drain can only be started from the silo's own machine", await response.Content.ReadAsStringAsync());
        // Reading the drain is open to all: it starts nothing.
        using var status = await http.GetAsync("/admin/drain");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        Assert.Equal(allowed ? 1 : 0, drain.Started);
        await app.StopAsync();
    }

    /// <summary>Records the drains asked for; the silo's own drain is tested in the silo process tests.</summary>
    private sealed class RecordingDrain : ISiloDrain
    {
        private int started;

        public int Started => started;

        public SiloDrainStatus Status => new(started > 0 ? DrainPhase.Draining : DrainPhase.Serving, "test", [], [], TimeSpan.FromMinutes(1), null);

        public Task<SiloDrainStatus> DrainAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref started);
            return new TaskCompletionSource<SiloDrainStatus>().Task;
        }
    }
}
