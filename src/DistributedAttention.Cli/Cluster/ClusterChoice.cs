using System.Net;

namespace DistributedAttention.Cli.Cluster;

/// <summary>Which cluster a command runs on: an existing one (<see cref="Gateway"/>, or the gateways listed in <see cref="Redis"/>) or an embedded one of <see cref="Silos"/> in-process silos.</summary>
/// <param name="Gateway">Gateway of a running cluster (<c>--cluster HOST:PORT</c>); <c>null</c> starts an embedded cluster.</param>
/// <param name="Silos">Silos of the embedded cluster (<c>--silos</c>); ignored with a gateway.</param>
/// <param name="ClusterId">Orleans cluster id of a running cluster.</param>
/// <param name="ServiceId">Orleans service id of a running cluster.</param>
public sealed record ClusterChoice(DnsEndPoint? Gateway, int Silos, string ClusterId = ClusterChoice.DefaultClusterId, string ServiceId = ClusterChoice.DefaultServiceId)
{
    /// <summary>Cluster id used by <c>distattn silo</c> and the deployments unless told otherwise.</summary>
    public const string DefaultClusterId = "distattn";

    /// <summary>Service id used by <c>distattn silo</c> and the deployments unless told otherwise.</summary>
    public const string DefaultServiceId = "distattn";

    /// <summary>Redis connection string of a running cluster's membership table (<c>--redis</c>): its gateways are found there, so losing one does not cut the client off.</summary>
    public string? Redis { get; init; }

    /// <summary>True when the command starts its own in-process cluster.</summary>
    public bool Embedded => Gateway is null && Redis is null;

    /// <summary>The endpoints of a Redis connection string, without its options: they may hold a password.</summary>
    public static string RedisEndpoints(string connection) =>
        string.Join(",", connection.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(p => !p.Contains('=', StringComparison.Ordinal)));

    /// <summary>For messages: "an embedded cluster of 3 silos", "the cluster at host:port" or "the cluster in Redis at host:port".</summary>
    public override string ToString() =>
        Redis is not null ? $"the cluster in Redis at {RedisEndpoints(Redis)}"
        : Gateway is null ? $"an embedded cluster of {Silos} silo(s)"
        : $"the cluster at {Gateway.Host}:{Gateway.Port}";
}
