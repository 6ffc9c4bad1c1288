using DistributedAttention.Cli;
using DistributedAttention.Cli.Cluster;
using Spectre.Console;

return await new CliApp(new ClusterConnector(), new SiloLauncher(), AnsiConsole.Console, Console.Error).RunAsync(args).ConfigureAwait(false);
