using DistributedAttention.Abstractions;
using DistributedAttention.Testing.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DistributedAttention.Client.Tests;

/// <summary>
/// A client that is only a client: this test process references the Client project alone, talks
/// to two <c>distattn silo</c> processes, runs an attention job and checks it against attention
/// written out in loops; neither libtorch nor any silo assembly is loaded here, or even present.
/// </summary>
public sealed class ClientOnlyTests : IAsyncLifetime
{
    private static readonly TimeSpan SiloStart = TimeSpan.FromSeconds(120);
    private readonly List<ChildProcess> silos = [];
    private readonly int[] ports = FreePorts.Take(4);
    private IHost? host;

    public async Task InitializeAsync()
    {
        silos.Add(ChildProcess.Start("silo 0", "silo", "--port", $"{ports[0]}", "--gateway-port", $"{ports[1]}"));
        await silos[0].WaitForLineAsync("silo up:", SiloStart);
        silos.Add(ChildProcess.Start("silo 1", "silo", "--port", $"{ports[2]}", "--gateway-port", $"{ports[3]}", "--primary", $"127.0.0.1:{ports[0]}"));
        await silos[1].WaitForLineAsync("silo up:", SiloStart);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddDistributedAttentionClient(o => o.Gateways = [$"127.0.0.1:{ports[1]}", $"127.0.0.1:{ports[3]}"]);
        host = builder.Build();
        await host.StartAsync();
        var management = host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        while ((await management.GetHosts(onlyActive: true)).Count < 2) await Task.Delay(200);
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.StopAsync();
            host.Dispose();
        }
        foreach (var silo in silos) silo.Dispose();
    }

    [Fact]
    public async Task An_attention_job_from_a_client_without_libtorch_equals_attention_written_out()
    {
        var random = new Random(5);
        HostTensor Random(long n, long d) => new([1, 2, n, d], [.. Enumerable.Range(0, (int)(2 * n * d)).Select(_ => (float)(random.NextDouble() * 2 - 1))]);
        var (q, k, v) = (Random(96, 8), Random(96, 8), Random(96, 4));
        var jobs = host!.Services.GetRequiredService<JobClient>();

        var result = await jobs.RunAttentionAsync(new AttentionSpec { Kind = AttentionKind.Full }, q, k, v, new JobOptions(2, ChunkBytes: 1024), null, default)
            .WaitAsync(TimeSpan.FromMinutes(2));

        var (o, lse) = DenseAttention.Full(q, k, v);
        Assert.Equal([1L, 2, 96, 4], result.Output.Shape);
        Assert.Equal([1L, 2, 96], result.Lse!.Shape);
        Assert.InRange(o.Zip(result.Output.Data, (e, a) => Math.Abs(e - a)).Max(), 0, 1e-4);
        Assert.InRange(lse.Zip(result.Lse.Data, (e, a) => Math.Abs(e - a)).Max(), 0, 1e-4);
        Assert.Equal(2, result.Status.Shards.Select(s => s.Silo).Distinct().Count());

        // Nothing of the tensor library or the silo side came into this process.
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "").ToArray();
        foreach (var forbidden in new[] { "TorchSharp", "DistributedAttention.Core", "DistributedAttention.Model", "DistributedAttention.Grains", "DistributedAttention.Silo" })
            Assert.DoesNotContain(forbidden, loaded);
        Assert.Contains("DistributedAttention.Client", loaded);
    }

    [Fact]
    public void The_client_build_output_holds_no_libtorch_and_no_silo_assemblies()
    {
        var files = Directory.GetFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToArray();
        Assert.Contains("DistributedAttention.Client.dll", files);
        Assert.DoesNotContain(files, f => f!.Contains("torch", StringComparison.OrdinalIgnoreCase));
        foreach (var forbidden in new[] { "DistributedAttention.Core.dll", "DistributedAttention.Model.dll", "DistributedAttention.Grains.dll", "DistributedAttention.Silo.dll" })
            Assert.DoesNotContain(forbidden, files);
    }
}
