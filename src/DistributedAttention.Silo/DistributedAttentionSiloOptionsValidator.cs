using System.Net;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Shards.Backups;
using DistributedAttention.Hosting;
using Microsoft.Extensions.Options;

namespace DistributedAttention.Silo;

/// <summary>Checks <see cref="DistributedAttentionSiloOptions"/>; every problem is named.</summary>
public sealed class DistributedAttentionSiloOptionsValidator : IValidateOptions<DistributedAttentionSiloOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DistributedAttentionSiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        ClusterChecks.Cluster(problems, options.ClusterId, options.ServiceId, options.Clustering, options.RedisConnectionString);
        ClusterChecks.Port(problems, nameof(options.SiloPort), options.SiloPort);
        ClusterChecks.Port(problems, nameof(options.GatewayPort), options.GatewayPort);
        if (options.SiloPort == options.GatewayPort) problems.Add($"SiloPort and GatewayPort must differ (both are {options.SiloPort}).");
        if (options.PrimarySiloPort is { } primary)
        {
            ClusterChecks.Port(problems, nameof(options.PrimarySiloPort), primary);
            if (options.Clustering != ClusteringMode.Localhost) problems.Add("PrimarySiloPort applies to Localhost clustering only.");
            if (primary == options.SiloPort) problems.Add($"PrimarySiloPort {primary} is this silo's own SiloPort; leave it null on the primary silo.");
        }
        if (options.AdvertisedAddress is not null && !IPAddress.TryParse(options.AdvertisedAddress, out _))
            problems.Add($"AdvertisedAddress '{options.AdvertisedAddress}' is not an IP address.");
        foreach (var device in options.EffectiveDevices)
        {
            try
            {
                DeviceSelector.Parse(device);
            }
            catch (Exception e) when (e is ArgumentException or TorchUnavailableException)
            {
                problems.Add($"Devices: {e.Message}");
            }
        }
        ClusterChecks.Messaging(problems, options.MaxMessageBodyBytes, options.ResponseTimeout);
        ClusterTls.Check(problems, options.Tls, "Tls:");
        if (options.JobStore is { } store && !Enum.IsDefined(store)) problems.Add($"JobStore '{store}' is not one of {string.Join(", ", Enum.GetNames<JobStoreKind>())}.");
        if (options.EffectiveJobStore == JobStoreKind.Redis && string.IsNullOrWhiteSpace(options.RedisConnectionString))
            problems.Add("RedisConnectionString is required for the Redis job store.");
        if (!Enum.IsDefined(options.Backups)) problems.Add($"Backups '{options.Backups}' is not one of {string.Join(", ", Enum.GetNames<BackupStorage>())}.");
        if (options.DrainTimeout < TimeSpan.Zero || options.DrainTimeout > TimeSpan.FromHours(24))
            problems.Add($"DrainTimeout must be between 00:00:00 and 1.00:00:00 (got {options.DrainTimeout}).");
        if (options.ComputeThreads is { } threads && threads < 1)
            problems.Add($"ComputeThreads must be at least 1 (got {threads}); leave it unset for every core.");
        if (options.MemoryBudgetBytes is { } budget && budget < 1L << 20)
            problems.Add($"MemoryBudgetBytes must be at least 1 MiB (1048576) (got {budget}); leave it unset for 70 % of the machine's memory.");
        if (options.MaxQueuedJobs is < 0 or > 100_000) problems.Add($"MaxQueuedJobs must be between 0 and 100000 (got {options.MaxQueuedJobs}).");
        if (options.UploadTimeout < TimeSpan.FromSeconds(1) || options.UploadTimeout > TimeSpan.FromDays(7))
            problems.Add($"UploadTimeout must be between 00:00:01 and 7.00:00:00 (got {options.UploadTimeout}).");
        if (options.OutputRetention < TimeSpan.FromSeconds(1) || options.OutputRetention > TimeSpan.FromDays(30))
            problems.Add($"OutputRetention must be between 00:00:01 and 30.00:00:00 (got {options.OutputRetention}).");
        if (options.SiloName is { } siloName && (siloName.Length == 0 || siloName.Any(char.IsWhiteSpace)))
            problems.Add($"SiloName must be non-empty without spaces (got '{siloName}').");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
