using System.Diagnostics;
using DistributedAttention.Testing.Processes;
using Microsoft.Extensions.Hosting;

namespace DistributedAttention.Client.Tests;

/// <summary>A library client (<c>AddDistributedAttentionClient</c>) whose gateways do not answer fails its start within its ConnectTimeout, naming the gateways.</summary>
public sealed class UnreachableGatewayTests
{
    [Fact]
    public async Task A_client_whose_gateways_do_not_answer_fails_to_start_within_its_connect_timeout()
    {
        var ports = FreePorts.Take(2);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddDistributedAttentionClient(o =>
        {
            o.Gateways = [$"127.0.0.1:{ports[0]}", $"127.0.0.1:{ports[1]}"];
            o.ConnectTimeout = TimeSpan.FromSeconds(5);
        });
        using var host = builder.Build();
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
        // Without the project's deadline Orleans keeps retrying for about three minutes.
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30));
        Assert.Contains("Unable to connect to any of the 2 available gateways", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_started_before_its_silo_connects_once_the_silo_is_up()
    {
        var ports = FreePorts.Take(2);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddDistributedAttentionClient(o =>
        {
            o.Gateways = [$"127.0.0.1:{ports[1]}"];
            o.ConnectTimeout = TimeSpan.FromMinutes(3);
        });
        using var host = builder.Build();
        var starting = host.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(starting.IsCompleted);
        using var silo = ChildProcess.Start("silo", "silo", "--port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        await silo.WaitForLineAsync("silo up:", TimeSpan.FromMinutes(2));
        await starting.WaitAsync(TimeSpan.FromMinutes(2));
        await host.StopAsync();
        silo.Terminate();
        Assert.Equal(0, await silo.WaitForExitAsync(TimeSpan.FromSeconds(40)));
    }
}
