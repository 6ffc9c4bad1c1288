using System.Net;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// <c>distattn silo</c> OS processes on loopback (localhost clustering: silo 0 holds the membership
/// table, the others name it as their primary) and this test as their client through silo 0's
/// gateway, once every silo is active. Silo 0 is never a victim in the fault tests: it holds the table.
/// </summary>
public sealed class LocalSiloProcesses : IAsyncDisposable
{
    /// <summary>How long a silo process may take to start.</summary>
    public static readonly TimeSpan SiloStart = TimeSpan.FromSeconds(120);

    private readonly int[] ports;
    private ClusterConnection? connection;

    private LocalSiloProcesses(int count)
    {
        ports = FreePorts.Take(2 * count);
    }

    /// <summary>The silo processes, silo 0 first.</summary>
    public List<ChildProcess> Silos { get; } = [];

    /// <summary>The test's client of the cluster.</summary>
    public IGrainFactory Grains => connection!.Grains;

    /// <summary>The cluster's management grain.</summary>
    public IManagementGrain Management => Grains.GetGrain<IManagementGrain>(0);

    /// <summary>Starts <paramref name="count"/> silos, each with <paramref name="arguments"/> besides its ports, and connects to them.</summary>
    public static async Task<LocalSiloProcesses> StartAsync(int count, params string[] arguments)
    {
        var cluster = new LocalSiloProcesses(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                string[] args = ["silo", "--port", $"{cluster.SiloPort(i)}", "--gateway-port", $"{cluster.ports[2 * i + 1]}", .. arguments];
                if (i > 0) args = [.. args, "--primary", $"127.0.0.1:{cluster.SiloPort(0)}"];
                cluster.Silos.Add(ChildProcess.Start($"silo {i}", args));
                // The primary first: the others join through it.
                if (i == 0) await cluster.Silos[0].WaitForLineAsync("silo up:", SiloStart);
            }
            foreach (var silo in cluster.Silos) await silo.WaitForLineAsync("silo up:", SiloStart);
            cluster.connection = await new GatewayClusterConnector(SiloStart).ConnectAsync(new ClusterChoice(new DnsEndPoint("127.0.0.1", cluster.ports[1]), 1), default);
            var deadline = DateTime.UtcNow + SiloStart;
            while ((await cluster.Management.GetHosts(onlyActive: true)).Count < count)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"fewer than {count} silos became active within {SiloStart.TotalSeconds:F0} s.");
                await Task.Delay(200);
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Silo <paramref name="i"/>'s silo port.</summary>
    public int SiloPort(int i) => ports[2 * i];

    /// <summary>Whether a silo address ("S127.0.0.1:PORT:GENERATION") is silo <paramref name="i"/>'s.</summary>
    public bool IsSilo(string siloAddress, int i) => siloAddress.Contains($":{SiloPort(i)}:", StringComparison.Ordinal);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (connection is not null) await connection.DisposeAsync();
        foreach (var silo in Silos)
        {
            // A frozen process cannot die until it runs again.
            if (!silo.HasExited) silo.Thaw();
            silo.Dispose();
        }
    }
}
