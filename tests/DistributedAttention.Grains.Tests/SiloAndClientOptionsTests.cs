using DistributedAttention.Client;
using DistributedAttention.Grains.Shards.Backups;
using DistributedAttention.Hosting;
using DistributedAttention.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DistributedAttention.Grains.Tests;

/// <summary>Silo and client options: bound from configuration (environment variables), checked at start, every problem named.</summary>
public sealed class SiloAndClientOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.True(new DistributedAttentionSiloOptionsValidator().Validate(null, new DistributedAttentionSiloOptions()).Succeeded);
        Assert.True(new DistributedAttentionClientOptionsValidator().Validate(null, new DistributedAttentionClientOptions()).Succeeded);
        Assert.True(new JobClientOptionsValidator().Validate(null, new JobClientOptions()).Succeeded);
    }

    [Fact]
    public void Every_silo_problem_is_named()
    {
        var options = new DistributedAttentionSiloOptions
        {
            ClusterId = "",
            Clustering = ClusteringMode.Redis,
            SiloPort = 0,
            GatewayPort = 0,
            AdvertisedAddress = "not-an-ip",
            Devices = ["gpu7"],
            ResponseTimeout = TimeSpan.Zero,
        };
        var result = new DistributedAttentionSiloOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        foreach (var name in new[] { "ClusterId", "RedisConnectionString", "SiloPort", "GatewayPort", "AdvertisedAddress", "gpu7", "ResponseTimeout", "Redis job store" })
            Assert.Contains(name, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Primary_port_is_for_localhost_secondaries()
    {
        var validator = new DistributedAttentionSiloOptionsValidator();
        Assert.Contains("leave it null on the primary", validator.Validate(null, new DistributedAttentionSiloOptions { PrimarySiloPort = 11111 }).FailureMessage, StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new DistributedAttentionSiloOptions { SiloPort = 11112, GatewayPort = 30001, PrimarySiloPort = 11111 }).Succeeded);
    }

    [Fact]
    public void Drain_timeout_and_silo_name_are_checked()
    {
        var validator = new DistributedAttentionSiloOptionsValidator();
        Assert.Contains("DrainTimeout must be between", validator.Validate(null, new DistributedAttentionSiloOptions { DrainTimeout = TimeSpan.FromSeconds(-1) }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("SiloName must be non-empty without spaces (got 'two words')", validator.Validate(null, new DistributedAttentionSiloOptions { SiloName = "two words" }).FailureMessage, StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new DistributedAttentionSiloOptions { SiloName = "distattn-silo-7d9f-x1", DrainTimeout = TimeSpan.Zero }).Succeeded);
    }

    [Fact]
    public void Admission_settings_are_checked_and_the_default_budget_is_a_share_of_memory()
    {
        var validator = new DistributedAttentionSiloOptionsValidator();
        string Failure(DistributedAttentionSiloOptions options) => validator.Validate(null, options).FailureMessage ?? "";
        Assert.Contains("MemoryBudgetBytes must be at least 1 MiB (1048576) (got 1000)", Failure(new() { MemoryBudgetBytes = 1000 }), StringComparison.Ordinal);
        Assert.Contains("MaxQueuedJobs must be between 0 and 100000 (got -1)", Failure(new() { MaxQueuedJobs = -1 }), StringComparison.Ordinal);
        Assert.Contains("UploadTimeout must be between", Failure(new() { UploadTimeout = TimeSpan.Zero }), StringComparison.Ordinal);
        Assert.Contains("OutputRetention must be between", Failure(new() { OutputRetention = TimeSpan.FromDays(31) }), StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new DistributedAttentionSiloOptions { MemoryBudgetBytes = 8L << 30, MaxQueuedJobs = 0 }).Succeeded);

        // 70 % of what the process may use, split between the silos that share it.
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        Assert.Equal((long)(available * 0.7), new DistributedAttentionSiloOptions().EffectiveMemoryBudgetBytes);
        Assert.Equal((long)(available * 0.7 / 3), DistributedAttention.Grains.Admission.SiloMemoryBudget.Default(3));
    }

    [Fact]
    public void Compute_threads_are_at_least_one_or_unset()
    {
        var validator = new DistributedAttentionSiloOptionsValidator();
        Assert.Contains("ComputeThreads must be at least 1 (got 0)", validator.Validate(null, new DistributedAttentionSiloOptions { ComputeThreads = 0 }).FailureMessage, StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new DistributedAttentionSiloOptions { ComputeThreads = 1 }).Succeeded);
        Assert.True(validator.Validate(null, new DistributedAttentionSiloOptions()).Succeeded);
    }

    [Fact]
    public void Client_needs_valid_gateways_or_redis()
    {
        var validator = new DistributedAttentionClientOptionsValidator();
        Assert.Contains("'localhost:30000' is not IP:PORT", validator.Validate(null, new DistributedAttentionClientOptions { Gateways = ["localhost:30000"] }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("RedisConnectionString", validator.Validate(null, new DistributedAttentionClientOptions { Clustering = ClusteringMode.Redis }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("PollInterval", new JobClientOptionsValidator().Validate(null, new JobClientOptions { PollInterval = TimeSpan.Zero }).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Silo_options_bind_from_environment_style_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // What DistributedAttention__Silo__SiloPort=12000 and so on give through AddEnvironmentVariables.
            ["DistributedAttention:Silo:SiloPort"] = "12000",
            ["DistributedAttention:Silo:GatewayPort"] = "31000",
            ["DistributedAttention:Silo:Devices:0"] = "cpu",
            ["DistributedAttention:Silo:Devices:1"] = "cpu",
            ["DistributedAttention:Silo:Clustering"] = "Redis",
            ["DistributedAttention:Silo:RedisConnectionString"] = "redis:6379",
            ["DistributedAttention:Silo:Backups"] = "Disk",
        }).Build();
        var options = new DistributedAttentionSiloOptions();
        configuration.GetSection(SiloHostingExtensions.SiloSection).Bind(options);
        Assert.Equal((12000, 31000), (options.SiloPort, options.GatewayPort));
        // Bound lists replace the default: the default is empty and means one cpu slot.
        Assert.Equal(["cpu", "cpu"], options.EffectiveDevices);
        Assert.Equal(JobStoreKind.Redis, options.EffectiveJobStore);
        Assert.Equal(BackupStorage.Disk, options.Backups);
        Assert.False(options.EffectiveFastFailureDetection);
        Assert.Equal(["cpu"], new DistributedAttentionSiloOptions().EffectiveDevices);
    }

    [Fact]
    public void A_silo_host_with_invalid_configuration_refuses_to_build_naming_the_setting()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["DistributedAttention:Silo:GatewayPort"] = "70000" });
        var e = Assert.Throws<OptionsValidationException>(() => builder.AddDistributedAttentionSilo());
        Assert.Contains("GatewayPort must be in 1..65535 (got 70000)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_options_are_validated_when_the_host_starts()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["DistributedAttention:Jobs:PollInterval"] = "00:00:00" });
        builder.AddDistributedAttentionClient();
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(JobClient));
        using var host = builder.Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("PollInterval must be positive", e.Message, StringComparison.Ordinal);
    }
}
