using System.Net;
using DistributedAttention.Hosting;
using Microsoft.Extensions.Options;

namespace DistributedAttention.Client;

/// <summary>Checks <see cref="DistributedAttentionClientOptions"/>; every problem is named.</summary>
public sealed class DistributedAttentionClientOptionsValidator : IValidateOptions<DistributedAttentionClientOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DistributedAttentionClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        ClusterChecks.Cluster(problems, options.ClusterId, options.ServiceId, options.Clustering, options.RedisConnectionString);
        if (options.Clustering == ClusteringMode.Localhost)
        {
            foreach (var gateway in options.EffectiveGateways)
            {
                if (!IPEndPoint.TryParse(gateway ?? "", out var endpoint) || endpoint.Port == 0) problems.Add($"Gateways: '{gateway}' is not IP:PORT.");
            }
        }
        ClusterChecks.Messaging(problems, options.MaxMessageBodyBytes, options.ResponseTimeout);
        if (options.ConnectTimeout <= TimeSpan.Zero) problems.Add($"ConnectTimeout must be positive (got {options.ConnectTimeout}).");
        ClusterTls.Check(problems, options.Tls, "Tls:");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
