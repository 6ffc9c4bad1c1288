using System.CommandLine;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Experiments;
using DistributedAttention.Text;
using Spectre.Console;

namespace DistributedAttention.Cli.Commands;

/// <summary>
/// <c>distattn experiments --preset ci|small --books FILE…</c>: every mechanism trained as a
/// language model on the same budget and its forward timed over growing lengths; writes
/// results.md and its plots.
/// </summary>
internal static class ExperimentsCommand
{
    public static Command Create(CliContext context)
    {
        var books = new Option<string[]>("--books") { Description = "Plain-text books; the last sections of each are held out.", Required = true, AllowMultipleArgumentsPerToken = true, HelpName = "FILE" };
        var preset = new Option<string>("--preset") { Description = string.Join("; ", ExperimentPreset.All.Values.Select(p => $"{p.Name}: {p.Description}")), DefaultValueFactory = _ => ExperimentPreset.Ci.Name };
        var output = new Option<string>("--output", "-o") { Description = "Folder for results.md, its plots and each mechanism's training run (runs/).", DefaultValueFactory = _ => "distattn-experiments", HelpName = "DIR" };
        var silos = new Option<int>("--cluster-silos") { Description = "Silos of the embedded cluster the cluster column is timed on (one shard each); 0 leaves the column out.", DefaultValueFactory = _ => 3, HelpName = "N" };
        var only = new Option<string[]>("--mechanisms") { Description = "Measure only these rows (names as in the table, e.g. \"window\" \"routing (learned)\"); finished trainings are reused, so rows can be run apart and then the whole table at once.", AllowMultipleArgumentsPerToken = true, HelpName = "NAME" };
        var command = new Command("experiments", "Measure every mechanism: held-out perplexity as a language model on the same budget, accuracy on two long-range tasks, forward tokens/s and memory by length on one device and on a cluster; writes results.md and plots.")
        {
            books, preset, output, silos, only,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var name = result.GetValue(preset)!;
            if (!ExperimentPreset.All.TryGetValue(name, out var chosen)) throw new UsageException($"--preset '{name}' is not one of {string.Join(", ", ExperimentPreset.All.Keys)}.");
            var folder = result.GetValue(output)!;
            var clusterSilos = result.GetValue(silos);
            if (clusterSilos is < 0 or > 16) throw new UsageException($"--cluster-silos must be between 0 and 16 (got {clusterSilos}).");
            var named = result.GetValue(only) ?? [];
            IReadOnlyList<MechanismEntry>? mechanisms = null;
            if (named.Length > 0)
            {
                try
                {
                    mechanisms = MechanismCatalog.Named(named);
                }
                catch (ArgumentException e)
                {
                    throw new UsageException($"--mechanisms: {e.Message}", e);
                }
            }
            var paths = result.GetValue(books) ?? [];
            var read = new List<Book>();
            foreach (var path in paths)
            {
                if (!File.Exists(path)) throw new UsageException(Directory.Exists(path) ? $"--books: '{path}' is a folder, not a book file." : $"--books: '{path}' does not exist.");
                try
                {
                    read.Add(BookReader.Read(path));
                }
                catch (BookFormatException e)
                {
                    throw new UsageException($"--books: {e.Message}", e);
                }
            }
            if (read.Count == 0) throw new UsageException("--books needs at least one file.");
            Directory.CreateDirectory(folder);
            var commandLine = $"distattn experiments --preset {chosen.Name} --books {string.Join(' ', paths)} -o {folder}" + (clusterSilos == 3 ? "" : $" --cluster-silos {clusterSilos}")
                + (mechanisms is null ? "" : $" --mechanisms {string.Join(' ', mechanisms.Select(m => m.Name.Contains(' ', StringComparison.Ordinal) ? $"\"{m.Name}\"" : m.Name))}");
            context.Console.MarkupLine($"Experiments, preset [bold]{chosen.Name}[/]: {Markup.Escape(chosen.Description)}.");
            ExperimentResults results;
            ClusterConnection? connection = null;
            try
            {
                IClusterForward? cluster = null;
                if (clusterSilos > 0)
                {
                    connection = await context.Connector.ConnectAsync(new ClusterChoice(null, clusterSilos), cancellationToken).ConfigureAwait(false);
                    cluster = new EmbeddedClusterForward(new JobClient(connection.Grains), connection.Silos, connection.Description);
                }
                // Synchronous tensor work: give it a thread, so Ctrl+C is seen between steps.
                // Every core: in-process silos leave libtorch's thread count at their share for new threads.
                results = await Task.Run(() => ComputeThreads.OnEveryCore(() => ExperimentRunner.Run(chosen, read, Path.Combine(folder, "runs"), commandLine, new Lines(context.Console), cluster, cancellationToken, mechanisms)), CancellationToken.None).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await context.Error.WriteLineAsync("stopped; nothing was written but the finished training runs under runs/.").ConfigureAwait(false);
                return ExitCodes.Interrupted;
            }
            finally
            {
                if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            }
            var report = Path.Combine(folder, "results.md");
            File.WriteAllText(report, ResultsReport.Markdown(results));
            ResultsPlots.Save(results, folder);
            context.Console.MarkupLine($"Wrote [bold]{Markup.Escape(report)}[/] and its plots in {results.WallSeconds:F0} s.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private sealed class Lines(IAnsiConsole console) : IProgress<string>
    {
        public void Report(string value) => console.WriteLine(value);
    }
}
