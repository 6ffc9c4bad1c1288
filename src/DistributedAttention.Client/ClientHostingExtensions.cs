using DistributedAttention.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace DistributedAttention.Client;

/// <summary>Wires a client of a DistributedAttention cluster: Orleans client, options from configuration, and <see cref="JobClient"/> in DI.</summary>
public static class ClientHostingExtensions
{
    /// <summary>Configuration section of <see cref="DistributedAttentionClientOptions"/>.</summary>
    public const string ClientSection = "DistributedAttention:Client";

    /// <summary>Configuration section of <see cref="JobClientOptions"/>.</summary>
    public const string JobsSection = "DistributedAttention:Jobs";

    /// <summary>
    /// Adds an Orleans client for the cluster, its options (bound to <see cref="ClientSection"/>,
    /// then <paramref name="configure"/>, checked at start) and a <see cref="JobClient"/>
    /// (options bound to <see cref="JobsSection"/>).
    /// </summary>
    /// <param name="host">The host.</param>
    /// <param name="configure">Overrides after configuration (e.g. from command-line flags).</param>
    /// <param name="client">More client configuration (e.g. static clustering through one gateway).</param>
    /// <exception cref="OptionsValidationException">The options are invalid; every problem is named.</exception>
    public static IHostApplicationBuilder AddDistributedAttentionClient(this IHostApplicationBuilder host, Action<DistributedAttentionClientOptions>? configure = null, Action<IClientBuilder>? client = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        var section = host.Configuration.GetSection(ClientSection);
        host.Services.AddOptions<DistributedAttentionClientOptions>().Bind(section).Configure(o => configure?.Invoke(o)).ValidateOnStart();
        host.Services.AddSingleton<IValidateOptions<DistributedAttentionClientOptions>, DistributedAttentionClientOptionsValidator>();
        // Which gateway provider to register is decided now, from the same sources.
        var options = new DistributedAttentionClientOptions();
        section.Bind(options);
        configure?.Invoke(options);
        host.UseOrleansClient(builder =>
        {
            builder.AddDistributedAttentionClient(options);
            client?.Invoke(builder);
        });
        host.Services.AddDistributedAttentionJobs(host.Configuration.GetSection(JobsSection));
        return host;
    }

    /// <summary>Configures an Orleans client from <paramref name="options"/>: gateways (static or Redis), cluster identity, message limits, timeouts, mutual TLS when configured, activity propagation.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid; every problem is named.</exception>
    public static IClientBuilder AddDistributedAttentionClient(this IClientBuilder builder, DistributedAttentionClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var result = new DistributedAttentionClientOptionsValidator().Validate(null, options);
        if (result.Failed) throw new OptionsValidationException(Options.DefaultName, typeof(DistributedAttentionClientOptions), result.Failures);
        if (options.Clustering == ClusteringMode.Redis) builder.UseRedisClustering(options.RedisConnectionString!);
        else builder.UseStaticClustering(options.GatewayEndpoints());
        builder.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        builder.Configure<ClientMessagingOptions>(o =>
        {
            o.MaxMessageBodySize = options.MaxMessageBodyBytes;
            o.ResponseTimeout = options.ResponseTimeout;
        });
        if (options.Tls.Enabled) builder.UseTls(tls => ClusterTls.Configure(tls, options.Tls));
        // Registered last, so it replaces Orleans' own retry filter.
        builder.Services.AddSingleton<IClientConnectionRetryFilter>(new ConnectDeadlineRetryFilter(options.ConnectTimeout));
        builder.AddActivityPropagation();
        return builder;
    }

    /// <summary>Registers <see cref="JobClient"/> (a singleton over the cluster client) and its options, bound to <paramref name="section"/> when given and checked at start.</summary>
    public static IServiceCollection AddDistributedAttentionJobs(this IServiceCollection services, IConfiguration? section = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var jobs = services.AddOptions<JobClientOptions>();
        if (section is not null) jobs.Bind(section);
        jobs.ValidateOnStart();
        services.AddSingleton<IValidateOptions<JobClientOptions>, JobClientOptionsValidator>();
        services.AddSingleton(sp => new JobClient(
            sp.GetRequiredService<IClusterClient>(),
            sp.GetRequiredService<IOptions<JobClientOptions>>().Value,
            sp.GetService<IOptions<ClientMessagingOptions>>()?.Value.MaxMessageBodySize));
        return services;
    }
}
