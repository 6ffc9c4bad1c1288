using System.CommandLine;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Cli.Parsing;

namespace DistributedAttention.Cli.Commands;

/// <summary><c>distattn silo</c>: runs one silo of a cluster until Ctrl+C or SIGTERM.</summary>
internal static class SiloCommand
{
    public static Command Create(CliContext context)
    {
        var port = new Option<int>("--port") { Description = "Silo-to-silo port.", DefaultValueFactory = _ => 11111 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Client gateway port.", DefaultValueFactory = _ => 30000 };
        var primary = new Option<string?>("--primary") { Description = "Silo endpoint of the primary silo to join (static clustering); omit on the primary.", HelpName = "HOST:PORT" };
        var devices = new Option<string>("--devices") { Description = "Device slots this silo offers, e.g. cpu,cpu or cuda:0,cuda:1.", DefaultValueFactory = _ => "cpu" };
        var redis = new Option<string?>("--redis") { Description = "Redis connection string for clustering (instead of --primary).", HelpName = "CONNSTR" };
        var clusterId = new Option<string>("--cluster-id") { Description = "Orleans cluster id.", DefaultValueFactory = _ => ClusterChoice.DefaultClusterId };
        var serviceId = new Option<string>("--service-id") { Description = "Orleans service id.", DefaultValueFactory = _ => ClusterChoice.DefaultServiceId };
        var command = new Command("silo", "Run one silo until Ctrl+C or SIGTERM.") { port, gatewayPort, primary, devices, redis, clusterId, serviceId };
        command.SetAction(async (result, cancellationToken) =>
        {
            var options = new SiloLaunchOptions(
                Port(result.GetValue(port), "--port"),
                Port(result.GetValue(gatewayPort), "--gateway-port"),
                result.GetValue(primary) is { } text ? ValueParsers.Endpoint(text, "--primary") : null,
                ValueParsers.Devices(result.GetValue(devices)!),
                result.GetValue(redis) is { Length: > 0 } connection ? connection : null,
                NonEmpty(result.GetValue(clusterId), "--cluster-id"),
                NonEmpty(result.GetValue(serviceId), "--service-id"));
            if (options.SiloPort == options.GatewayPort) throw new UsageException($"--port and --gateway-port must differ (both {options.SiloPort}).");
            if (options.Primary is not null && options.Redis is not null) throw new UsageException("give either --primary (static clustering) or --redis, not both.");
            // Checks what the command line alone decides (a primary off this machine) before anything starts.
            SiloLauncher.Settings(options);

            // Plain lines on the console's own writer: never wrapped, so scripts can match them.
            var stdout = context.Console.Profile.Out.Writer;
            void Say(string line)
            {
                stdout.WriteLine(line);
                stdout.Flush();
            }

            Say($"silo starting: port {options.SiloPort}, gateway {options.GatewayPort}, devices {string.Join(",", options.Devices)}; Ctrl+C stops it.");
            try
            {
                // The line scripts wait for: the silo has joined its cluster and its gateway takes clients.
                await context.Silos.RunAsync(options, up => Say(
                    $"silo up: {up.Address} port {up.SiloPort} gateway {up.GatewayPort} devices {string.Join(",", up.Devices)} cluster {up.ClusterId}"),
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

    private static int Port(int value, string option) =>
        value is >= 1 and <= 65535 ? value : throw new UsageException($"{option} must be a port in 1-65535 (got {value}).");

    private static string NonEmpty(string? value, string option) =>
        string.IsNullOrWhiteSpace(value) ? throw new UsageException($"{option} must not be empty.") : value;
}
