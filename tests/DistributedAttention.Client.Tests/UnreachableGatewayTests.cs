using System.Diagnostics;
using DistributedAttention.Testing.Processes;
using Microsoft.Extensions.Hosting;

namespace DistributedAttention.Client.Tests;

/// <summary>A library client (<c>AddDistributedAttentionClient</c>) whose gateways do not answer fails its start in seconds, naming the gateway.</summary>
public sealed class UnreachableGatewayTests
{
    [Fact]
    public async Task A_client_whose_gateways_do_not_answer_fails_to_start_in_seconds()
    {
        var ports = FreePorts.Take(2);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        Microsoft.Extensions.DependencyInjection.LoggingServiceCollectionExtensions.AddLogging(builder.Services, l => Microsoft.Extensions.Logging.ConsoleLoggerExtensions.AddSimpleConsole(l));
        builder.AddDistributedAttentionClient(o => o.Gateways = [$"127.0.0.1:{ports[0]}", $"127.0.0.1:{ports[1]}"]);
        using var host = builder.Build();
        var clock = Stopwatch.StartNew();
        var error = await Record.ExceptionAsync(() => host.StartAsync());
        Assert.NotNull(error);
        Assert.Fail($"{error} after {clock.Elapsed.TotalSeconds:F1} s");
    }
}
