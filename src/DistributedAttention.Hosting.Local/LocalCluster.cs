using System.Net;
using System.Net.Sockets;
using DistributedAttention.Client;
using DistributedAttention.Grains.Admission;
using DistributedAttention.Grains.Placement;
using DistributedAttention.Hosting;
using DistributedAttention.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace DistributedAttention.Hosting.Local;

/// <summary>
/// A cluster of several silos inside this process, each its own generic host, talking over
/// real localhost TCP sockets, plus a client host connected through their gateways. Membership
/// is localhost clustering (the first silo primary) or, with
/// <see cref="LocalClusterOptions.Clustering"/> = Redis, a Redis membership table that the
/// client also reads its gateways from. For the CLI's local mode and for fault and clustering tests.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly LocalClusterOptions options;
    private readonly List<IHost?> silos = [];
    private readonly List<SiloAddress> addresses = [];
    private readonly List<DistributedAttentionSiloOptions> settings = [];
    private readonly List<SiloCutoff> cutoffs = [];
    private IHost? client;

    /// <summary>Creates an unstarted cluster.</summary>
    public LocalCluster(LocalClusterOptions? options = null)
    {
        this.options = options ?? new LocalClusterOptions();
    }

    /// <summary>The client connected to the cluster.</summary>
    /// <exception cref="InvalidOperationException">The cluster has not started.</exception>
    public IClusterClient Client => client?.Services.GetRequiredService<IClusterClient>() ?? throw new InvalidOperationException("the local cluster has not started.");

    /// <summary>Every silo's address, by silo index (also of stopped silos).</summary>
    public IReadOnlyList<SiloAddress> SiloAddresses => addresses;

    /// <summary>Every silo's options, by silo index.</summary>
    public IReadOnlyList<DistributedAttentionSiloOptions> SiloOptions => settings;

    /// <summary>The cluster id (unique per instance unless set in the options).</summary>
    public string ClusterId { get; private set; } = "";

    /// <summary>Whether silo <paramref name="silo"/> is running.</summary>
    public bool IsRunning(int silo) => Host(silo) is not null;

    /// <summary>The services of running silo <paramref name="silo"/> (e.g. its <see cref="IClusterMembershipService"/>).</summary>
    public IServiceProvider SiloServices(int silo) => (Host(silo) ?? throw new InvalidOperationException($"silo {silo} is not running.")).Services;

    /// <summary>
    /// Starts <paramref name="silos"/> silos and the client, and waits until every silo sees all
    /// of them active.
    /// </summary>
    /// <param name="silos">Number of silos (1 or more).</param>
    /// <param name="devicesPerSilo">Each silo's device slots, comma-separated ("cpu,cpu"); null: one "cpu" each; one entry: the same for all.</param>
    /// <param name="extra">More configuration for every silo (e.g. test services).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public async Task StartAsync(int silos, IReadOnlyList<string>? devicesPerSilo = null, Action<ISiloBuilder>? extra = null, CancellationToken cancellationToken = default)
    {
        if (silos < 1) throw new ArgumentOutOfRangeException(nameof(silos), silos, "a cluster needs at least one silo.");
        if (devicesPerSilo is { Count: > 1 } && devicesPerSilo.Count != silos)
            throw new ArgumentException($"devicesPerSilo has {devicesPerSilo.Count} entries for {silos} silos; give one per silo, one for all, or none.", nameof(devicesPerSilo));
        if (this.silos.Count > 0) throw new InvalidOperationException("the local cluster was already started.");
        var redis = options.Clustering == ClusteringMode.Redis;
        if (redis && string.IsNullOrWhiteSpace(options.RedisConnectionString))
            throw new InvalidOperationException("LocalClusterOptions.RedisConnectionString is required with Redis clustering.");

        ClusterId = options.ClusterId ?? $"local-{Guid.NewGuid():N}";
        var ports = options.BasePort is { } basePort
            ? Enumerable.Range(basePort, 2 * silos).ToArray()
            : FreePorts(2 * silos);
        for (var i = 0; i < silos; i++)
        {
            var devices = devicesPerSilo is null || devicesPerSilo.Count == 0 ? "cpu" : devicesPerSilo[devicesPerSilo.Count == 1 ? 0 : i];
            settings.Add(new DistributedAttentionSiloOptions
            {
                ClusterId = ClusterId,
                ServiceId = options.ServiceId,
                Clustering = options.Clustering,
                RedisConnectionString = redis ? options.RedisConnectionString : null,
                SiloPort = ports[2 * i],
                GatewayPort = ports[2 * i + 1],
                PrimarySiloPort = i == 0 || redis ? null : ports[0],
                // Redis clustering would otherwise advertise the machine's first non-loopback address.
                AdvertisedAddress = redis ? IPAddress.Loopback.ToString() : null,
                Devices = devices.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                MaxMessageBodyBytes = options.MaxMessageBodyBytes,
                ResponseTimeout = options.ResponseTimeout,
                JobStore = options.JobStore,
                Backups = options.Backups,
                BackupDirectory = options.BackupDirectory,
                // The silos share this process's memory.
                MemoryBudgetBytes = options.MemoryBudgetBytes ?? SiloMemoryBudget.Default(silos),
                // And its cores: one team of every core per silo would oversubscribe them.
                ComputeThreads = options.ComputeThreads ?? Math.Max(1, Environment.ProcessorCount / silos),
                MaxQueuedJobs = options.MaxQueuedJobs,
                UploadTimeout = options.UploadTimeout,
                Tls = options.Tls,
            });
        }

        // The primary first: it holds the membership table the others join (with Redis the order does not matter).
        await StartSiloAsync(0, extra, cancellationToken).ConfigureAwait(false);
        for (var i = 1; i < silos; i++) await StartSiloAsync(i, extra, cancellationToken).ConfigureAwait(false);
        await WaitForMembershipAsync(cancellationToken).ConfigureAwait(false);

        client = StartClientHost();
        await client.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A new client host connected to the cluster (started by the caller): what a separate client
    /// process would be, e.g. to test a client restart. Dispose it when done.
    /// </summary>
    /// <param name="configure">Changes to the client's settings (e.g. other TLS credentials).</param>
    /// <param name="client">More client configuration (e.g. a connection retry filter).</param>
    public IHost StartClientHost(Action<DistributedAttentionClientOptions>? configure = null, Action<IClientBuilder>? client = null)
    {
        if (settings.Count == 0) throw new InvalidOperationException("the local cluster has not started.");
        var builder = NewHostBuilder("client");
        builder.AddDistributedAttentionClient(o =>
        {
            o.ClusterId = ClusterId;
            o.ServiceId = options.ServiceId;
            o.Clustering = options.Clustering;
            o.RedisConnectionString = options.Clustering == ClusteringMode.Redis ? options.RedisConnectionString : null;
            o.Gateways = [.. settings.Select(s => $"127.0.0.1:{s.GatewayPort}")];
            o.MaxMessageBodyBytes = options.MaxMessageBodyBytes;
            o.ResponseTimeout = options.ResponseTimeout;
            o.Tls = options.Tls;
            configure?.Invoke(o);
        }, client);
        return builder.Build();
    }

    /// <summary>
    /// Waits until every running silo sees exactly the running silos as active, as compatible
    /// grain hosts (cluster manifest) and with their device slots: only then do all silos make
    /// the same ring placement.
    /// </summary>
    public async Task WaitForMembershipAsync(CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + options.StartTimeout;
        while (true)
        {
            var running = Enumerable.Range(0, silos.Count).Where(IsRunning).Select(i => addresses[i]).ToHashSet();
            if (Enumerable.Range(0, silos.Count).Where(IsRunning).All(i => Agrees(SiloServices(i), running))) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the local cluster's {running.Count} silos did not agree on membership within {options.StartTimeout}.");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool Agrees(IServiceProvider silo, HashSet<SiloAddress> running)
    {
        var active = silo.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress);
        var manifest = silo.GetRequiredService<IClusterManifestProvider>().Current.Silos.Keys;
        var devices = silo.GetRequiredService<SiloDeviceDirectory>();
        return running.SetEquals(active) && running.SetEquals(manifest) && running.All(s => devices.TryGetDevices(s) is not null);
    }

    /// <summary>Stops silo <paramref name="silo"/> gracefully (its grains deactivate, the cluster is told).</summary>
    public async Task StopSiloAsync(int silo, CancellationToken cancellationToken = default)
    {
        var host = Host(silo) ?? throw new InvalidOperationException($"silo {silo} is not running.");
        silos[silo] = null;
        try
        {
            await host.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            host.Dispose();
        }
    }

    /// <summary>
    /// Kills silo <paramref name="silo"/> as abruptly as one process allows: first its grains stop
    /// answering and calling (<see cref="SiloCutoff"/>), as a crashed process's would, at once;
    /// then a stop whose token is already cancelled (as Orleans' own test cluster does), so grains
    /// are not deactivated and their in-memory state is lost, then disposal, which closes its
    /// sockets. Orleans still marks the silo dead in the membership table on the way down, so
    /// survivors learn of the loss within seconds; a crashed process is found by probing instead
    /// (<see cref="FastFailureDetection"/>). Killing the primary (silo 0) takes the localhost
    /// membership table down with it.
    /// </summary>
    public async Task KillSiloAsync(int silo)
    {
        var host = Host(silo) ?? throw new InvalidOperationException($"silo {silo} is not running.");
        cutoffs[silo].Cut();
        silos[silo] = null;
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync().ConfigureAwait(false);
        try
        {
            await host.StopAsync(cancelled.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected: the stop was cancelled from the start.
        }
        finally
        {
            host.Dispose();
        }
    }

    /// <summary>Stops the client and every running silo (the primary last).</summary>
    public async ValueTask DisposeAsync()
    {
        if (client is not null)
        {
            using var stop = new CancellationTokenSource(options.StopTimeout);
            try
            {
                await client.StopAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Shutting down anyway.
            }
            client.Dispose();
            client = null;
        }
        for (var i = silos.Count - 1; i >= 0; i--)
        {
            if (!IsRunning(i)) continue;
            using var stop = new CancellationTokenSource(options.StopTimeout);
            try
            {
                await StopSiloAsync(i, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Shutting down anyway.
            }
        }
        if (ClusterId.Length > 0) InProcessGrainStorage.Forget(options.ServiceId, ClusterId);
    }

    private IHost? Host(int silo) =>
        silo >= 0 && silo < silos.Count ? silos[silo] : throw new ArgumentOutOfRangeException(nameof(silo), silo, $"the cluster has {silos.Count} silo(s).");

    private async Task StartSiloAsync(int index, Action<ISiloBuilder>? extra, CancellationToken cancellationToken)
    {
        var builder = NewHostBuilder($"silo-{index}");
        var chosen = settings[index];
        var cutoff = new SiloCutoff();
        cutoffs.Add(cutoff);
        builder.AddDistributedAttentionSilo(o => Copy(chosen, o), silo =>
        {
            silo.AddIncomingGrainCallFilter(cutoff);
            silo.AddOutgoingGrainCallFilter(cutoff);
            silo.Configure<SiloOptions>(o => o.SiloName = $"silo-{index}");
            extra?.Invoke(silo);
        });
        var host = builder.Build();
        silos.Add(host);
        addresses.Add(host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void Copy(DistributedAttentionSiloOptions from, DistributedAttentionSiloOptions to)
    {
        (to.ClusterId, to.ServiceId, to.Clustering, to.RedisConnectionString) = (from.ClusterId, from.ServiceId, from.Clustering, from.RedisConnectionString);
        (to.SiloPort, to.GatewayPort, to.PrimarySiloPort, to.AdvertisedAddress) = (from.SiloPort, from.GatewayPort, from.PrimarySiloPort, from.AdvertisedAddress);
        (to.Devices, to.MaxMessageBodyBytes, to.ResponseTimeout) = ([.. from.Devices], from.MaxMessageBodyBytes, from.ResponseTimeout);
        (to.FastFailureDetection, to.JobStore, to.Backups, to.BackupDirectory) = (from.FastFailureDetection, from.JobStore, from.Backups, from.BackupDirectory);
        (to.MemoryBudgetBytes, to.MaxQueuedJobs, to.UploadTimeout, to.OutputRetention) = (from.MemoryBudgetBytes, from.MaxQueuedJobs, from.UploadTimeout, from.OutputRetention);
        to.ComputeThreads = from.ComputeThreads;
        to.Tls = from.Tls;
    }

    private HostApplicationBuilder NewHostBuilder(string name)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = name });
        builder.Logging.SetMinimumLevel(options.LogLevel);
        if (options.LogLevel != LogLevel.None) builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        return builder;
    }

    /// <summary>Free localhost TCP ports, found by binding port 0 (all held until all are found, so they differ).</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }
}
