using DistributedAttention.Cli.Cluster;
using DistributedAttention.Client;
using DistributedAttention.Hosting;
using DistributedAttention.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace DistributedAttention.Cli.Tests;

/// <summary><c>distattn silo</c> takes its settings from the environment, then from the flags given; an invalid setting is named.</summary>
public sealed class SiloLauncherTests
{
    private static IConfiguration Environment(params (string Key, string Value)[] variables) =>
        new ConfigurationBuilder().AddInMemoryCollection(variables.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Flags_given_win_over_the_environment_and_the_rest_comes_from_it()
    {
        var configuration = Environment(
            ("DistributedAttention:Silo:SiloPort", "12000"),
            ("DistributedAttention:Silo:GatewayPort", "31000"),
            ("DistributedAttention:Silo:Clustering", "Redis"),
            ("DistributedAttention:Silo:RedisConnectionString", "redis:6379"),
            ("DistributedAttention:Silo:Backups", "Disk"));
        var options = SiloLauncher.Resolve(new SiloLaunchOptions(SiloPort: 13000, Devices: ["cpu", "cpu"]), configuration);
        Assert.Equal((13000, 31000), (options.SiloPort, options.GatewayPort));
        Assert.Equal(ClusteringMode.Redis, options.Clustering);
        Assert.Equal(JobStoreKind.Redis, options.EffectiveJobStore);
        Assert.Equal(["cpu", "cpu"], options.EffectiveDevices);
        Assert.Equal(Grains.Shards.Backups.BackupStorage.Disk, options.Backups);
    }

    [Fact]
    public void An_invalid_setting_from_the_environment_is_named()
    {
        var e = Assert.Throws<OptionsValidationException>(() => SiloLauncher.Resolve(new SiloLaunchOptions(), Environment(("DistributedAttention:Silo:GatewayPort", "0"))));
        Assert.Contains("GatewayPort must be in 1..65535 (got 0)", e.Message, StringComparison.Ordinal);
        var redis = Assert.Throws<OptionsValidationException>(() => SiloLauncher.Resolve(new SiloLaunchOptions(JobStore: JobStoreKind.Redis), Environment()));
        Assert.Contains("RedisConnectionString is required for the Redis job store", redis.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_flags_and_settings_reach_the_silo_and_missing_files_are_named()
    {
        var tls = new ClusterTlsOptions { CertificatePath = "/no/silo.pem", AuthorityPath = "/no/ca.pem" };
        var e = Assert.Throws<OptionsValidationException>(() => SiloLauncher.Resolve(new SiloLaunchOptions(Tls: tls), Environment(("DistributedAttention:Silo:Tls:KeyPath", "/no/silo.key"))));
        Assert.Contains("Tls: the certificate file '/no/silo.pem' does not exist.", e.Message, StringComparison.Ordinal);
        var orphan = Assert.Throws<OptionsValidationException>(() => SiloLauncher.Resolve(new SiloLaunchOptions(), Environment(("DistributedAttention:Silo:Tls:AuthorityPath", "/no/ca.pem"))));
        Assert.Contains("Tls:CertificatePath is required when Tls:AuthorityPath or Tls:KeyPath is set.", orphan.Message, StringComparison.Ordinal);
    }
}
