using System.CommandLine;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Client;
using DistributedAttention.Http;
using DistributedAttention.Pipeline;
using DistributedAttention.Pipeline.Local;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Dashboard;

namespace DistributedAttention.Cli.Commands;

/// <summary><c>distattn serve</c>: the HTTP API in front of an embedded cluster (or a running one), until Ctrl+C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create(CliContext context)
    {
        var port = new Option<int>("--port") { Description = "HTTP port (0 picks a free one).", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "Address to listen on; 0.0.0.0 exposes the API beyond this machine.", DefaultValueFactory = _ => "127.0.0.1" };
        var silos = new Option<int>("--silos") { Description = "Silos of the embedded cluster.", DefaultValueFactory = _ => 3, HelpName = "N" };
        var cluster = new Option<string?>("--cluster") { Description = "Serve a running cluster behind this gateway instead of an embedded one.", HelpName = "HOST:PORT" };
        var redis = new Option<string?>("--redis") { Description = "Serve the running cluster whose silos are listed in this Redis (their membership table).", HelpName = "CONNSTR" };
        var clusterId = new Option<string>("--cluster-id") { Description = "Orleans cluster id of --cluster or --redis.", DefaultValueFactory = _ => ClusterChoice.DefaultClusterId };
        var serviceId = new Option<string>("--service-id") { Description = "Orleans service id of --cluster or --redis.", DefaultValueFactory = _ => ClusterChoice.DefaultServiceId };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder for each job's upload and outputs (default: under the temporary folder).", HelpName = "DIR" };
        var modelsDir = new Option<string?>("--models-dir") { Description = "Folder of Hugging Face model folders a book job may name (model=NAME); every silo must see it at the same path.", HelpName = "DIR" };
        var maxUpload = new Option<int?>("--max-upload-mb") { Description = "Largest accepted upload in MiB (default 512).", HelpName = "MB" };
        var waitForCluster = new Option<int>("--wait-for-cluster") { Description = "Keep trying to reach --cluster or --redis this many seconds before giving up (0 tries once).", DefaultValueFactory = _ => 120, HelpName = "SECONDS" };
        var command = new Command("serve", "Run the HTTP API (submit jobs, watch them, download outputs) on an embedded cluster, until Ctrl+C or SIGTERM.")
        {
            port, host, silos, cluster, redis, clusterId, serviceId, dataDir, modelsDir, maxUpload, waitForCluster,
        };
        command.Add(Dashboard.DashboardForRun.CreateOption());
        command.SetAction(async (result, cancellationToken) =>
        {
            var portValue = result.GetValue(port);
            if (portValue is < 0 or > 65535) throw new UsageException($"--port must be in 0-65535 (got {portValue}).");
            var silosValue = result.GetValue(silos);
            if (silosValue is < 1 or > 64) throw new UsageException($"--silos must be between 1 and 64 (got {silosValue}).");
            if (result.GetValue(modelsDir) is { } models && !Directory.Exists(models)) throw new UsageException($"--models-dir '{models}' does not exist.");
            if (result.GetValue(maxUpload) is < 1) throw new UsageException($"--max-upload-mb must be >= 1 (got {result.GetValue(maxUpload)}).");
            var patience = result.GetValue(waitForCluster);
            if (patience is < 0 or > 86_400) throw new UsageException($"--wait-for-cluster must be in 0-86400 seconds (got {patience}).");
            var choice = ClusterOptions.Choose(result.GetValue(cluster), result.GetValue(redis), silosValue, result.GetValue(clusterId)!, result.GetValue(serviceId)!);
            var stdout = context.Console.Profile.Out.Writer;

            var connector = new PatientClusterConnector(context.Connector, TimeSpan.FromSeconds(patience), context.Error);
            await using var connection = await connector.ConnectAsync(choice, cancellationToken).ConfigureAwait(false);
            var url = $"http://{result.GetValue(host)}:{portValue}";
            var app = await ApiServer.StartAsync(new GrainClusterAccess(connection.Grains, connection.Description), url, "distattn-serve", o =>
            {
                if (result.GetValue(dataDir) is { } folder) o.DataDirectory = folder;
                if (result.GetValue(modelsDir) is { } models) o.ModelsDirectory = Path.GetFullPath(models);
                if (result.GetValue(maxUpload) is { } mb) o.MaxUploadBytes = (long)mb << 20;
            }, host: builder =>
            {
                // distattn has libtorch: book jobs measure the matmul roof here, as distattn process does.
                builder.Services.AddSingleton<ILocalBookWork>(TensorBookWork.Instance);
                // The web host is also a client of the cluster, so it can show the Orleans dashboard.
                if (connection.ClientSettings is { } settings) builder.AddDistributedAttentionClient(settings, client => client.AddDashboard());
            }, clusterDashboard: connection.ClientSettings is not null, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (app.ConfigureAwait(false))
            {
                var address = ApiServer.Addresses(app).FirstOrDefault() ?? url;
                // Plain lines: scripts wait for "serving on".
                await stdout.WriteLineAsync($"serving on {address} ({connection.Description}); API page {address}/docs"
                    + (connection.ClientSettings is null ? "" : $", Orleans dashboard {address}{ClusterDashboard.RoutePrefix}") + "; Ctrl+C stops it.").ConfigureAwait(false);
                await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C / SIGTERM: stop taking requests, cancel running jobs, leave the cluster.
                }
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await app.StopAsync(stop.Token).ConfigureAwait(false);
            }
            await stdout.WriteLineAsync("stopped.").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
