using System.CommandLine;
using DistributedAttention.Abstractions;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Pipeline;

namespace DistributedAttention.Cli.Commands;

/// <summary>Where and how a job runs: shards, embedded silos or a gateway, wire dtype.</summary>
internal sealed class ClusterOptions
{
    public Option<int?> Shards { get; } = new("--shards") { Description = "Shards P the sequence is split into (default: one per silo).", HelpName = "P" };

    public Option<int> Silos { get; } = new("--silos") { Description = "Silos of the embedded cluster.", DefaultValueFactory = _ => 3, HelpName = "N" };

    public Option<string?> Cluster { get; } = new("--cluster") { Description = "Run on the cluster behind this gateway instead of an embedded one.", HelpName = "HOST:PORT" };

    public Option<string?> Redis { get; } = new("--redis") { Description = "Run on the cluster whose silos are listed in this Redis (their membership table) instead of an embedded one.", HelpName = "CONNSTR" };

    public Option<string> ClusterId { get; } = new("--cluster-id") { Description = "Orleans cluster id of --cluster or --redis.", DefaultValueFactory = _ => ClusterChoice.DefaultClusterId };

    public Option<string> ServiceId { get; } = new("--service-id") { Description = "Orleans service id of --cluster or --redis.", DefaultValueFactory = _ => ClusterChoice.DefaultServiceId };

    public Option<string> Wire { get; } = new("--wire") { Description = "Element type exchanged between shards: fp32, fp16, bf16.", DefaultValueFactory = _ => "fp32" };

    public Option<int> ChunkMegabytes { get; } = new("--chunk-mb") { Description = "Largest message payload in MiB.", DefaultValueFactory = _ => 4 };

    public Option<int> Replicas { get; } = new("--replicas") { Description = "Copies of each shard's layer input kept on the next shards of the ring: the job survives that many adjacent silos lost at once.", DefaultValueFactory = _ => 1, HelpName = "R" };

    public Option<bool> NoRecovery { get; } = new("--no-recovery") { Description = "No copies (--replicas 0): less traffic, but a lost silo fails the job." };

    public Option<string?> JobId { get; } = new("--job-id") { Description = "The job's id on the cluster: running the command again with the same id (after an interruption) picks the job up instead of starting over.", HelpName = "ID" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Shards, Silos, Cluster, Redis, ClusterId, ServiceId, Wire, ChunkMegabytes, Replicas, NoRecovery, JobId }) command.Add(option);
    }

    /// <summary>The cluster to connect to.</summary>
    /// <exception cref="UsageException">A value is malformed or out of range.</exception>
    public ClusterChoice Choice(ParseResult result)
    {
        var silos = result.GetValue(Silos);
        if (silos is < 1 or > 64) throw new UsageException($"--silos must be between 1 and 64 (got {silos}).");
        return Choose(result.GetValue(Cluster), result.GetValue(Redis), silos, result.GetValue(ClusterId)!, result.GetValue(ServiceId)!);
    }

    /// <summary>The cluster named by --cluster or --redis (not both), else an embedded one of <paramref name="silos"/>.</summary>
    /// <exception cref="UsageException">Both were given, or one is malformed.</exception>
    public static ClusterChoice Choose(string? cluster, string? redis, int silos, string clusterId, string serviceId)
    {
        if (cluster is not null && redis is not null) throw new UsageException("give either --cluster (one gateway) or --redis (the cluster's membership table), not both.");
        if (redis is { } connection && string.IsNullOrWhiteSpace(connection)) throw new UsageException("--redis must not be empty.");
        var gateway = cluster is { } text ? ValueParsers.Endpoint(text, "--cluster") : null;
        return new ClusterChoice(gateway, silos, clusterId, serviceId) { Redis = redis };
    }

    /// <summary>The job options for a cluster of <paramref name="silos"/> silos.</summary>
    /// <exception cref="ArgumentException">A value is out of range (reported as a usage error).</exception>
    public JobOptions Job(ParseResult result, int silos)
    {
        var request = new SplitRequest
        {
            Shards = result.GetValue(Shards),
            Wire = result.GetValue(Wire)!,
            ChunkMegabytes = result.GetValue(ChunkMegabytes),
            Replicas = result.GetValue(Replicas),
            NoRecovery = result.GetValue(NoRecovery),
        };
        return request.Build(silos);
    }

    /// <summary>The job id, when one was given.</summary>
    /// <exception cref="ArgumentException">It is not a usable id (reported as a usage error).</exception>
    public string? Id(ParseResult result) => result.GetValue(JobId) is { } id ? SplitRequest.CheckJobId(id) : null;

    /// <summary>Checks the values that need no cluster, so bad input fails before anything starts.</summary>
    public void Validate(ParseResult result)
    {
        Choice(result);
        Job(result, 1);
        Id(result);
    }
}
