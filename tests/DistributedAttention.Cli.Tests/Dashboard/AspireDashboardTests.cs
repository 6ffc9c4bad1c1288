using System.Net;
using System.Net.Sockets;
using DistributedAttention.Cli.Dashboard;
using DistributedAttention.Testing.Processes;
using OpenTelemetry.Exporter;

namespace DistributedAttention.Cli.Tests.Dashboard;

/// <summary>The launcher against the real Aspire dashboard program from the NuGet package.</summary>
[Collection(TestSpans.Collection)]
public sealed class AspireDashboardTests
{
    [Fact]
    public async Task Launcher_receives_otlp_spans_serves_them_through_the_api_on_loopback_only_and_dispose_kills_it()
    {
        var dashboard = await AspireDashboard.StartAsync(DashboardPorts.Free);
        int pid;
        Uri url;
        await using (dashboard)
        {
            (pid, url) = (dashboard.ProcessId, dashboard.DashboardUrl);
            var ports = new[] { dashboard.Ports.Ui!.Value, dashboard.Ports.OtlpGrpc!.Value, dashboard.Ports.OtlpHttp!.Value };
            Assert.Equal(3, ports.Distinct().Count());
            Assert.Equal("127.0.0.1", url.Host);

            // What the kernel says it listens on: the three ports, and only on loopback.
            var listening = ProcessTree.ListeningEndpoints(pid);
            Assert.All(ports, p => Assert.Contains(listening, e => e.Port == p));
            Assert.All(listening, e => Assert.True(IPAddress.IsLoopback(e.Address), $"the dashboard listens on {e}, off loopback."));

            var overGrpc = TestSpans.Send(dashboard.OtlpGrpcEndpoint, "distattn-launcher-test", "distattn.job over grpc");
            var overHttp = TestSpans.Send(dashboard.OtlpHttpEndpoint, "distattn-launcher-http", "distattn.job over http", OtlpExportProtocol.HttpProtobuf);
            using var telemetry = new DashboardTelemetry(url);
            using (var trace = await telemetry.GetTraceAsync(overGrpc))
            {
                Assert.Equal(["distattn.job over grpc"], DashboardTelemetry.SpanNames(trace));
                Assert.Equal(["distattn-launcher-test"], DashboardTelemetry.ServiceNames(trace));
            }
            Assert.Equal(["distattn.job over http"], await telemetry.SpanNamesAsync(overHttp));
            using var all = await telemetry.GetTracesAsync();
            Assert.Contains("distattn.job over grpc", DashboardTelemetry.SpanNames(all));
        }

        Assert.True(await ProcessTree.WaitUntilGoneAsync(pid, TimeSpan.FromSeconds(10)), $"the dashboard (pid {pid}) still runs after dispose.");
        Assert.False(await AcceptsAsync(url.Port), $"{url} still answers after dispose.");
    }

    [Fact]
    public async Task A_taken_port_is_refused_before_anything_starts()
    {
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var port = ((IPEndPoint)taken.LocalEndpoint).Port;
            var error = await Assert.ThrowsAsync<UsageException>(() => AspireDashboard.StartAsync(new DashboardPorts(port, 0, 0)));
            Assert.Contains($"127.0.0.1:{port} (dashboard UI) is already in use", error.Message);
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public async Task Ports_given_twice_are_refused()
    {
        var error = await Assert.ThrowsAsync<UsageException>(() => AspireDashboard.StartAsync(new DashboardPorts(0, 4999, 4999)));
        Assert.Contains("OTLP/gRPC and OTLP/HTTP ports must differ (both 4999)", error.Message);
    }

    internal static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
