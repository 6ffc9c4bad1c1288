using System.Net;
using System.Net.Sockets;
using DistributedAttention.Grains;
using DistributedAttention.Grains.Admission;
using DistributedAttention.Grains.Draining;
using DistributedAttention.Grains.Jobs;
using DistributedAttention.Grains.Shards.Backups;
using DistributedAttention.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;

namespace DistributedAttention.Silo;

/// <summary>Wires a DistributedAttention silo: options from configuration, clustering, job store, devices, placement.</summary>
public static class SiloHostingExtensions
{
    /// <summary>Configuration section of <see cref="DistributedAttentionSiloOptions"/>.</summary>
    public const string SiloSection = "DistributedAttention:Silo";

    /// <summary>
    /// Adds a DistributedAttention silo to a host, its options bound to <see cref="SiloSection"/>
    /// then <paramref name="configure"/>, and checked at start.
    /// </summary>
    /// <param name="host">The host.</param>
    /// <param name="configure">Overrides after configuration (e.g. from command-line flags).</param>
    /// <param name="silo">More silo configuration (e.g. test call filters).</param>
    /// <exception cref="OptionsValidationException">The options are invalid; every problem is named.</exception>
    public static IHostApplicationBuilder AddDistributedAttentionSilo(this IHostApplicationBuilder host, Action<DistributedAttentionSiloOptions>? configure = null, Action<ISiloBuilder>? silo = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        var section = host.Configuration.GetSection(SiloSection);
        host.Services.AddOptions<DistributedAttentionSiloOptions>().Bind(section).Configure(o => configure?.Invoke(o)).ValidateOnStart();
        host.Services.AddSingleton<IValidateOptions<DistributedAttentionSiloOptions>, DistributedAttentionSiloOptionsValidator>();
        // Clustering and storage providers are chosen now, from the same sources.
        var options = new DistributedAttentionSiloOptions();
        section.Bind(options);
        configure?.Invoke(options);
        host.UseOrleans(builder =>
        {
            builder.AddDistributedAttention(options);
            silo?.Invoke(builder);
        });
        return host;
    }

    /// <summary>
    /// Configures clustering, endpoints, message limits and timeouts, failure detection, the job
    /// store, the device slots (published as silo metadata), ring placement and activity propagation.
    /// </summary>
    /// <exception cref="OptionsValidationException">The options are invalid; every problem is named.</exception>
    public static ISiloBuilder AddDistributedAttention(this ISiloBuilder builder, DistributedAttentionSiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var result = new DistributedAttentionSiloOptionsValidator().Validate(null, options);
        if (result.Failed) throw new OptionsValidationException(Options.DefaultName, typeof(DistributedAttentionSiloOptions), result.Failures);

        if (options.Clustering == ClusteringMode.Localhost)
        {
            var primary = options.PrimarySiloPort is { } port ? new IPEndPoint(IPAddress.Loopback, port) : null;
            builder.UseLocalhostClustering(options.SiloPort, options.GatewayPort, primary, options.ServiceId, options.ClusterId);
            if (options.AdvertisedAddress is { } address)
                builder.ConfigureEndpoints(IPAddress.Parse(address), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
        }
        else
        {
            builder.UseRedisClustering(options.RedisConnectionString!);
            builder.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            // Other silos and clients reach this one at the advertised address: given (a pod's IP), or
            // this host's own network address. Orleans' default can be 127.0.0.1 in a container.
            if ((options.AdvertisedAddress is { } address ? IPAddress.Parse(address) : NetworkAddress.FirstExternal()) is { } advertised)
                builder.ConfigureEndpoints(advertised, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
            else
                builder.ConfigureEndpoints(options.SiloPort, options.GatewayPort, AddressFamily.InterNetwork, listenOnAnyHostAddress: true);
        }
        if (options.EffectiveFastFailureDetection) builder.Configure<ClusterMembershipOptions>(FastFailureDetection.Apply);

        builder.Configure<SiloMessagingOptions>(o =>
        {
            o.MaxMessageBodySize = options.MaxMessageBodyBytes;
            o.ResponseTimeout = options.ResponseTimeout;
        });
        builder.AddDistributedAttentionGrains(options.EffectiveDevices, options.EffectiveMemoryBudgetBytes, options.ComputeThreads ?? 0);
        builder.Services.Configure<AdmissionOptions>(o =>
        {
            o.MaxQueuedJobs = options.MaxQueuedJobs;
            o.UploadTimeout = options.UploadTimeout;
            o.OutputRetention = options.OutputRetention;
        });
        builder.Services.Configure<SiloDrainOptions>(o => o.Timeout = options.DrainTimeout);
        if (options.SiloName is { } name) builder.Configure<SiloOptions>(o => o.SiloName = name);
        builder.Services.Configure<ShardBackupOptions>(o =>
        {
            o.Storage = options.Backups;
            o.Directory = options.BackupDirectory;
        });
        AddJobStore(builder, options);
        // The default directory is eventually consistent: when a silo dies, grains whose directory
        // entries it held can be activated a second time, empty. A job's coordinator and shards
        // must stay single, so use the strongly consistent in-cluster directory.
#pragma warning disable ORLEANSEXP003 // Experimental in Orleans 10; chosen deliberately (see docs/architecture.md).
        builder.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        if (options.Tls.Enabled) builder.UseTls(tls => ClusterTls.Configure(tls, options.Tls));
        builder.AddActivityPropagation();
        // Every silo reports to the Orleans dashboard; a host with HTTP (silo --http, serve) shows it.
        builder.AddDashboard(o => o.CounterUpdateIntervalMs = 1000);
        return builder;
    }

    private static void AddJobStore(ISiloBuilder builder, DistributedAttentionSiloOptions options)
    {
        switch (options.EffectiveJobStore)
        {
            case JobStoreKind.InProcess:
                var table = InProcessGrainStorage.For(options.ServiceId, options.ClusterId);
                builder.Services.AddGrainStorage(JobStorage.Name, (sp, _) => new InProcessGrainStorage(table, sp.GetRequiredService<Serializer>()));
                break;
            // Both in Orleans' own binary format, driven by the records' [Id]s: the JSON default
            // also writes computed members and cannot read them back.
            case JobStoreKind.Memory:
                builder.AddMemoryGrainStorage(JobStorage.Name, o => o.Configure<Serializer>((memory, serializer) => memory.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer)));
                break;
            case JobStoreKind.Redis:
                builder.AddRedisGrainStorage(JobStorage.Name, o => o.Configure<Serializer>((redis, serializer) =>
                {
                    redis.ConfigurationOptions = ConfigurationOptions.Parse(options.RedisConnectionString!);
                    redis.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                }));
                break;
        }
    }
}
