using System.Globalization;
using DistributedAttention.Cli.Samples;
using DistributedAttention.Experiments;
using DistributedAttention.Model.Tests;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// <c>distattn experiments --preset ci</c> end to end: every mechanism of the survey trains and is
/// timed, and results.md holds a well-formed table (a row per mechanism, a figure or a reason in
/// every cell) with its plots.
/// </summary>
public sealed class ExperimentsCommandTests
{
    [Fact]
    public async Task The_ci_preset_writes_a_well_formed_table_with_every_mechanism()
    {
        using var temp = new TempDir();
        var book = temp.File("north.txt");
        File.WriteAllText(book, SampleBookGenerator.Generate(4000, seed: 1));
        var output = temp.File("results");

        var run = await CliHarness.RunAsync(null, "experiments", "--preset", "ci", "--books", book, "-o", output);

        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        var report = File.ReadAllLines(Path.Combine(output, "results.md"));
        var quality = Table(report, "| mechanism | held-out loss | perplexity | ListOps accuracy | retrieval at 64 | retrieval at 256 |");
        Assert.Equal(MechanismCatalog.All.Select(m => m.Name), quality.Select(r => r[0]));
        foreach (var row in quality)
        {
            Assert.Equal(6, row.Length);
            if (row[0] == "Linformer")
            {
                Assert.StartsWith("n/a (no causal form", row[1], StringComparison.Ordinal);
            }
            else
            {
                var loss = double.Parse(row[1], CultureInfo.InvariantCulture);
                Assert.True(loss is > 0 and < 20, $"{row[0]}: held-out loss {loss}");
                Assert.Equal(Math.Exp(loss), double.Parse(row[2], CultureInfo.InvariantCulture), Math.Exp(loss) * 1e-3);
            }
            foreach (var cell in row[3..])
            {
                Assert.EndsWith(" %", cell, StringComparison.Ordinal);
                Assert.InRange(double.Parse(cell[..^2], CultureInfo.InvariantCulture), 0, 100);
            }
        }
        Assert.Contains(report, l => l.StartsWith("Training took ", StringComparison.Ordinal) && l.Contains($"{MechanismCatalog.All.Count(m => m.Causal)} language models", StringComparison.Ordinal) && !l.Contains("reused", StringComparison.Ordinal));
        var losses = Assert.Single(report, l => l.StartsWith("Final training cross-entropy on the tasks", StringComparison.Ordinal));
        foreach (var task in new[] { "ListOps: ", "retrieval: " })
        {
            var named = losses.Split(task)[1].Split(';')[0].TrimEnd('.').Split(", ");
            Assert.Equal(MechanismCatalog.All.Select(m => m.Name), named.Select(e => e[..e.LastIndexOf(' ')]));
            Assert.All(named, e => Assert.InRange(double.Parse(e[(e.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture), 0, 20));
        }
        // Two speed tables: one device, then the embedded cluster of 3 silos.
        var speedHeader = "| mechanism | 1K tokens/s (peak MB) | 4K tokens/s (peak MB) |";
        Assert.Equal(2, report.Count(l => l == speedHeader));
        Assert.Contains(report, l => l.StartsWith("**On an embedded cluster of 3 silo(s), 3 shard(s).**", StringComparison.Ordinal));
        var speed = Table(report, speedHeader);
        var cluster = Table(report[(Array.IndexOf(report, speedHeader) + 1)..], speedHeader);
        Assert.Equal(MechanismCatalog.All.Select(m => m.Name), speed.Select(r => r[0]));
        Assert.Equal(MechanismCatalog.All.Select(m => m.Name), cluster.Select(r => r[0]));
        foreach (var row in speed.Concat(cluster))
        {
            Assert.Equal(3, row.Length);
            foreach (var cell in row[1..])
            {
                var tokensPerSecond = double.Parse(cell.Split(' ')[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
                Assert.True(tokensPerSecond > 0, $"{row[0]}: {cell}");
            }
        }
        Assert.Contains(report, l => l.Contains("distattn experiments --preset ci", StringComparison.Ordinal));
        foreach (var plot in new[] { ResultsReport.PerplexityPlot, ResultsReport.SpeedPlot, ResultsReport.AccuracyPlot })
        {
            var png = File.ReadAllBytes(Path.Combine(output, plot));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        }
        // Each mechanism's training run is kept beside the report.
        Assert.True(File.Exists(Path.Combine(output, "runs", "luna", "loss.png")));

        // Run again: every finished training is reused, and the figures they gave are the same (the console wraps long lines).
        var again = await CliHarness.RunAsync(null, "experiments", "--preset", "ci", "--books", book, "-o", output, "--cluster-silos", "0");
        Assert.True(again.ExitCode == 0, again.Error + again.Output);
        Assert.Equal(MechanismCatalog.All.Count(m => m.Causal) + (2 * MechanismCatalog.All.Count), System.Text.RegularExpressions.Regex.Replace(again.Output, @"\s+", " ").Split("finished earlier, reused").Length - 1);
        var repeated = File.ReadAllLines(Path.Combine(output, "results.md"));
        Assert.Contains(repeated, l => l.StartsWith("Training took ", StringComparison.Ordinal) && l.Contains($"{MechanismCatalog.All.Count(m => m.Causal) + (2 * MechanismCatalog.All.Count)} of the {MechanismCatalog.All.Count(m => m.Causal) + (2 * MechanismCatalog.All.Count)} trainings were finished by earlier runs", StringComparison.Ordinal));
        Assert.Equal(quality.Select(r => string.Join('|', r)), Table(repeated, quality.Header).Select(r => string.Join('|', r)));
        Assert.Equal(1, repeated.Count(l => l == speedHeader));

        // Some rows only (names in any case): their finished trainings are reused, and the table holds just those rows.
        var some = await CliHarness.RunAsync(null, "experiments", "--preset", "ci", "--books", book, "-o", output, "--cluster-silos", "0", "--mechanisms", "Window", "routing (learned)");
        Assert.True(some.ExitCode == 0, some.Error + some.Output);
        Assert.Equal(2 + (2 * 2), System.Text.RegularExpressions.Regex.Replace(some.Output, @"\s+", " ").Split("finished earlier, reused").Length - 1);
        var partial = File.ReadAllLines(Path.Combine(output, "results.md"));
        Assert.Equal(quality.Where(r => r[0] is "window" or "routing (learned)").Select(r => string.Join('|', r)), Table(partial, quality.Header).Select(r => string.Join('|', r)));
        Assert.Contains(partial, l => l.Contains("--mechanisms window \"routing (learned)\"", StringComparison.Ordinal));
    }

    /// <summary>The rows of the table under <paramref name="header"/>, split into trimmed cells.</summary>
    private static TableRows Table(string[] report, string header)
    {
        var at = Array.IndexOf(report, header);
        Assert.True(at >= 0, $"no table headed '{header}' in results.md:\n{string.Join('\n', report)}");
        return new TableRows(header, [.. report.Skip(at + 2).TakeWhile(l => l.StartsWith('|')).Select(l => l.Trim('|').Split('|').Select(c => c.Trim()).ToArray())]);
    }

    private sealed class TableRows(string header, List<string[]> rows) : List<string[]>(rows)
    {
        public string Header { get; } = header;
    }

    [Theory]
    [InlineData("--preset", "huge", "--preset 'huge' is not one of ci, small")]
    [InlineData("--books", "missing.txt", "--books: 'missing.txt' does not exist")]
    [InlineData("--cluster-silos", "-1", "--cluster-silos must be between 0 and 16")]
    [InlineData("--mechanisms", "reformer", "--mechanisms: not a mechanism of the table: 'reformer'; the rows are 'full'")]
    public async Task Bad_arguments_are_usage_errors(string flag, string value, string message)
    {
        using var temp = new TempDir();
        var book = temp.File("north.txt");
        File.WriteAllText(book, SampleBookGenerator.Generate(500, seed: 1));
        string[] args = flag == "--books" ? ["experiments", "--books", value] : ["experiments", "--books", book, flag, value];
        var run = await CliHarness.RunAsync(null, args);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
    }
}
