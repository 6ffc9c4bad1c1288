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

    public Option<string> ClusterId { get; } = new("--cluster-id") { Description = "Orleans cluster id of --cluster.", DefaultValueFactory = _ => ClusterChoice.DefaultClusterId };

    public Option<string> ServiceId { get; } = new("--service-id") { Description = "Orleans service id of --cluster.", DefaultValueFactory = _ => ClusterChoice.DefaultServiceId };

    public Option<string> Wire { get; } = new("--wire") { Description = "Element type exchanged between shards: fp32, fp16, bf16.", DefaultValueFactory = _ => "fp32" };

    public Option<int> ChunkMegabytes { get; } = new("--chunk-mb") { Description = "Largest message payload in MiB.", DefaultValueFactory = _ => 4 };

    public Option<int> Replicas { get; } = new("--replicas") { Description = "Copies of each shard's layer input kept on the next shards of the ring: the job survives that many adjacent silos lost at once.", DefaultValueFactory = _ => 1, HelpName = "R" };

    public Option<bool> NoRecovery { get; } = new("--no-recovery") { Description = "No copies (--replicas 0): less traffic, but a lost silo fails the job." };

    public Option<string?> JobId { get; } = new("--job-id") { Description = "The job's id on the cluster: running the command again with the same id (after an interruption) picks the job up instead of starting over.", HelpName = "ID" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Shards, Silos, Cluster, ClusterId, ServiceId, Wire, ChunkMegabytes, Replicas, NoRecovery, JobId }) command.Add(option);
    }

    /// <summary>The cluster to connect to.</summary>
    /// <exception cref="UsageException">A value is malformed or out of range.</exception>
    public ClusterChoice Choice(ParseResult result)
    {
        var silos = result.GetValue(Silos);
        if (silos is < 1 or > 64) throw new UsageException($"--silos must be between 1 and 64 (got {silos}).");
        var gateway = result.GetValue(Cluster) is { } text ? ValueParsers.Endpoint(text, "--cluster") : null;
        return new ClusterChoice(gateway, silos, result.GetValue(ClusterId)!, result.GetValue(ServiceId)!);
    }

    /// <summary>Job options for <paramref name="silos"/> silos (shards default to one per silo).</summary>
    /// <exception cref="UsageException">A value is malformed or out of range.</exception>
    public JobOptions Job(ParseResult result, int silos)
    {
        var shards = result.GetValue(Shards) ?? silos;
        if (shards < 1) throw new UsageException($"--shards must be >= 1 (got {shards}).");
        var chunk = result.GetValue(ChunkMegabytes);
        if (chunk is < 1 or > 32) throw new UsageException($"--chunk-mb must be between 1 and 32 (got {chunk}); Orleans messages must stay well below their 128 MiB limit.");
        var replicas = result.GetValue(Replicas);
        if (replicas is < 0 or > JobOptions.MaxReplicas) throw new UsageException($"--replicas must be between 0 and {JobOptions.MaxReplicas} (got {replicas}).");
        if (result.GetValue(NoRecovery)) replicas = 0;
        return new JobOptions(shards, Wire: ValueParsers.Wire(result.GetValue(Wire)!), Replicas: replicas, ChunkBytes: chunk << 20);
    }

    /// <summary>The job id given with --job-id, or null for a new job.</summary>
    /// <exception cref="UsageException">The id is blank or holds characters a grain key cannot.</exception>
    public string? Id(ParseResult result)
    {
        if (result.GetValue(JobId) is not { } id) return null;
        if (string.IsNullOrWhiteSpace(id) || id.Length > 200 || id.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            throw new UsageException($"--job-id '{id}' must be 1-200 characters without spaces or control characters.");
        return id;
    }

    /// <summary>Checks the values that need no cluster, so bad input fails before anything starts.</summary>
    public void Validate(ParseResult result)
    {
        Choice(result);
        Job(result, 1);
        Id(result);
    }
}
