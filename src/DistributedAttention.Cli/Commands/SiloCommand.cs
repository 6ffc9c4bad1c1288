using System.CommandLine;
using DistributedAttention.Abstractions;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Client;
using DistributedAttention.Hosting;
using DistributedAttention.Pipeline;
using DistributedAttention.Grains.Shards.Backups;
using DistributedAttention.Silo;

namespace DistributedAttention.Cli.Commands;

/// <summary><c>distattn silo</c>: runs one silo of a cluster until Ctrl+C or SIGTERM.</summary>
internal static class SiloCommand
{
    public static Command Create(CliContext context)
    {
        var port = new Option<int?>("--port") { Description = "Silo-to-silo port (default 11111)." };
        var gatewayPort = new Option<int?>("--gateway-port") { Description = "Client gateway port (default 30000)." };
        var primary = new Option<string?>("--primary") { Description = "Silo endpoint of the primary silo to join (static clustering); omit on the primary.", HelpName = "HOST:PORT" };
        var devices = new Option<string?>("--devices") { Description = "Device slots this silo offers, e.g. cpu,cpu or cuda:0,cuda:1 (default cpu)." };
        var redis = new Option<string?>("--redis") { Description = "Redis connection string for clustering and job records (instead of --primary).", HelpName = "CONNSTR" };
        var clusterId = new Option<string?>("--cluster-id") { Description = $"Orleans cluster id (default {ClusterChoice.DefaultClusterId})." };
        var serviceId = new Option<string?>("--service-id") { Description = $"Orleans service id (default {ClusterChoice.DefaultServiceId})." };
        var jobStore = new Option<string?>("--job-store") { Description = "Where job records live so a job survives its coordinator: memory (Orleans' in-memory storage) or redis (default: redis with --redis, else memory).", HelpName = "memory|redis" };
        var backups = new Option<string?>("--backups") { Description = "Where shards keep their neighbours' copies: memory (default) or disk.", HelpName = "memory|disk" };
        var backupDir = new Option<string?>("--backup-dir") { Description = "Folder for --backups disk (default: under the temporary folder).", HelpName = "DIR" };
        var http = new Option<int?>("--http") { Description = "Also serve the HTTP API (jobs, /healthz, /readyz, /metrics, /docs) on this port (0 picks one).", HelpName = "PORT" };
        var memoryBudget = new Option<string?>("--memory-budget") { Description = "Memory this silo gives to job tensors, e.g. 8GiB or 512MiB; jobs that would exceed a silo's budget wait in a queue (default 70 % of the memory the process may use).", HelpName = "SIZE" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "Mutual TLS between silos and from clients: this silo's certificate (PEM, or .pfx/.p12). Clients set DistributedAttention__Client__Tls__* to the same authority.", HelpName = "FILE" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "The PEM private key of --tls-cert, when it is a separate file.", HelpName = "FILE" };
        var tlsCa = new Option<string?>("--tls-ca") { Description = "The PEM certificate of the authority every silo's and client's certificate must chain to.", HelpName = "FILE" };
        var httpHost = new Option<string?>("--http-host") { Description = "Address the HTTP API listens on (default 127.0.0.1; 0.0.0.0 exposes it).", HelpName = "ADDRESS" };
        var command = new Command("silo", "Run one silo until Ctrl+C or SIGTERM. Settings not given as flags come from DistributedAttention__Silo__* environment variables.")
        {
            port, gatewayPort, primary, devices, redis, clusterId, serviceId, jobStore, backups, backupDir, http, httpHost, memoryBudget, tlsCert, tlsKey, tlsCa,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var options = new SiloLaunchOptions(
                result.GetValue(port) is { } p ? Port(p, "--port") : null,
                result.GetValue(gatewayPort) is { } g ? Port(g, "--gateway-port") : null,
                result.GetValue(primary) is { } text ? ValueParsers.Endpoint(text, "--primary") : null,
                result.GetValue(devices) is { } list ? ValueParsers.Devices(list) : null,
                result.GetValue(redis) is { Length: > 0 } connection ? connection : null,
                result.GetValue(clusterId) is { } cluster ? NonEmpty(cluster, "--cluster-id") : null,
                result.GetValue(serviceId) is { } service ? NonEmpty(service, "--service-id") : null,
                result.GetValue(jobStore) is { } store ? Choice<JobStoreKind>(store, "--job-store", JobStoreKind.Memory, JobStoreKind.Redis) : null,
                result.GetValue(backups) is { } copies ? Choice<BackupStorage>(copies, "--backups", BackupStorage.Memory, BackupStorage.Disk) : null,
                result.GetValue(backupDir),
                result.GetValue(http) is { } h ? (h == 0 ? 0 : Port(h, "--http")) : null,
                result.GetValue(httpHost),
                result.GetValue(memoryBudget) is { } size ? ValueParsers.ByteSize(size, "--memory-budget") : null,
                result.GetValue(tlsCert) is null && result.GetValue(tlsKey) is null && result.GetValue(tlsCa) is null ? null
                    : new ClusterTlsOptions { CertificatePath = result.GetValue(tlsCert), KeyPath = result.GetValue(tlsKey), AuthorityPath = result.GetValue(tlsCa) });
            if (options.Primary is not null && options.Redis is not null) throw new UsageException("give either --primary (static clustering) or --redis, not both.");
            // Checks what the command line alone decides (a primary off this machine, clashing ports) before anything starts.
            var chosen = new DistributedAttentionSiloOptions();
            SiloLauncher.Apply(options, chosen);
            if (chosen.SiloPort == chosen.GatewayPort) throw new UsageException($"--port and --gateway-port must differ (both {chosen.SiloPort}).");

            // Plain lines on the console's own writer: never wrapped, so scripts can match them.
            var stdout = context.Console.Profile.Out.Writer;
            void Say(string line)
            {
                stdout.WriteLine(line);
                stdout.Flush();
            }

            Say("silo starting; Ctrl+C stops it.");
            try
            {
                // The line scripts wait for: the silo has joined its cluster and its gateway takes clients.
                await context.Silos.RunAsync(options, up => Say(
                    $"silo up: {up.Address} port {up.SiloPort} gateway {up.GatewayPort} devices {string.Join(",", up.Devices)} cluster {up.ClusterId} jobs {up.JobStore.ToLowerInvariant()}"
                    + (up.Http is null ? "" : $" http {up.Http}")),
                    drain => Say(DrainLine(drain)),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C / SIGTERM is how a silo is meant to stop.
            }
            Say("silo stopped.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The drain as one line scripts can match: "silo draining: ...", "silo drained: ..." or "silo drain timed out: ...".</summary>
    internal static string DrainLine(SiloDrainStatus drain) => drain.Phase switch
    {
        DrainPhase.Draining => $"silo draining: waiting up to {drain.Timeout.TotalSeconds:F0} s for {drain.Shards.Count} shard(s) and {drain.Coordinators.Count} coordinator(s)",
        DrainPhase.Drained => $"silo drained: its work finished in {drain.Seconds:F1} s",
        _ => $"silo drain timed out: after {drain.Seconds:F1} s still running shards [{string.Join(", ", drain.Shards)}] coordinators [{string.Join(", ", drain.Coordinators)}]; they are recovered elsewhere",
    };

    private static int Port(int value, string option) =>
        value is >= 1 and <= 65535 ? value : throw new UsageException($"{option} must be a port in 1-65535 (got {value}).");

    private static T Choice<T>(string value, string option, params T[] allowed) where T : struct, Enum
    {
        foreach (var choice in allowed)
        {
            if (string.Equals(choice.ToString(), value, StringComparison.OrdinalIgnoreCase)) return choice;
        }
        throw new UsageException($"{option} must be one of {string.Join(", ", allowed.Select(a => a.ToString().ToLowerInvariant()))} (got '{value}').");
    }

    private static string NonEmpty(string? value, string option) =>
        string.IsNullOrWhiteSpace(value) ? throw new UsageException($"{option} must not be empty.") : value;
}
