using DistributedAttention.Abstractions;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Cli.Progress;
using DistributedAttention.Client;
using DistributedAttention.Pipeline;
using DistributedAttention.Pipeline.Local;
using Spectre.Console;

namespace DistributedAttention.Cli.Commands;

/// <summary>
/// Runs <c>distattn process</c>: the book job (<see cref="BookJob"/>, the same code the HTTP API
/// runs) with a progress view, then the optional single-device check and the closing table.
/// </summary>
internal sealed class ProcessRunner(CliContext context, string bookPath, string output, BookJobSettings settings, bool verify)
{
    /// <summary>Runs the job; returns the exit code.</summary>
    public async Task<int> RunAsync(ClusterChoice choice, Func<int, JobOptions> jobOptions, string? jobId, CancellationToken cancellationToken)
    {
        CreateOutputFolder(output);
        var book = BookJob.Prepare(bookPath, Path.GetFileName(bookPath), settings);
        context.Console.MarkupLine($"[bold]{Markup.Escape(book.Name)}[/]: {book.Tokens.Length:N0} tokens, {book.Sections.Count} sections ({book.Book.Decoding.EncodingName}).");

        await using var connection = await context.Connector.ConnectAsync(choice, cancellationToken).ConfigureAwait(false);
        var options = jobOptions(connection.Silos);
        if (options.Shards > book.Tokens.Length) throw new UsageException($"--shards {options.Shards} is more than the {book.Tokens.Length} tokens; every shard needs at least one.");
        var client = new JobClient(connection.Grains);
        var view = new JobProgressView(context.Console);
        var title = $"{book.Model.Layers} layer(s), {options.Shards} shard(s) on {connection.Description}";
        var cluster = new ClusterInfo(connection.Silos, connection.Description);
        Func<string, SingleDeviceCheck>? verifier = verify ? hidden => Verify(book, hidden, view) : null;
        var result = await view.ShowWhileAsync(title, progress => BookJob.RunAsync(client, book, options, cluster, output, jobId, progress, cancellationToken, verifier, TensorBookWork.Instance)).ConfigureAwait(false);

        var summary = result.Summary;
        Report(context, summary, output);
        if (summary.Verification is { WithinTolerance: false } check)
        {
            context.Console.MarkupLine($"[red]error:[/] the cluster's hidden states differ from the single-device run (max |Δ| {check.MaxAbsDiff:E2}).");
            return ExitCodes.JobFailed;
        }
        return ExitCodes.Ok;
    }

    /// <summary>The same model on this machine as one device, compared with the cluster's hidden states.</summary>
    private static SingleDeviceCheck Verify(PreparedBook book, string hiddenPath, JobProgressView view)
    {
        view.Note("Verifying: the same model on this machine as one device…");
        return SingleDeviceVerification.Run(book.Model, book.Tokens, hiddenPath, book.Weights?.Path);
    }

    /// <summary>Creates the output folder and checks a file can be written there, before the job runs rather than after.</summary>
    internal static void CreateOutputFolder(string output)
    {
        try
        {
            Directory.CreateDirectory(output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--output '{output}' cannot be created: {e.Message}", e);
        }
        var probe = Path.Combine(output, $".distattn-write-check-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--output '{output}' cannot be written: {e.Message}", e);
        }
    }

    internal static void Report(CliContext context, ProcessSummary summary, string output)
    {
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumns("", "");
        table.AddRow("tokens", $"{summary.Tokens:N0}");
        table.AddRow("shards / silos", $"{summary.Shards} / {summary.Silos}");
        table.AddRow("job", $"{summary.JobSeconds:F2} s, {summary.TokensPerSecond:N0} tokens/s");
        // Recovery copies (each shard's layer output, fp32, kept by its neighbour) dwarf the layers' own traffic: show them apart.
        var backup = summary.Bytes.ByCollective.GetValueOrDefault("backup");
        table.AddRow("exchanged", $"{(summary.Bytes.Total - backup) / 1e6:F1} MB ({summary.Wire}) + {backup / 1e6:F1} MB recovery copies");
        table.AddRow("recoveries", summary.Recoveries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (summary.Verification is { } check)
        {
            table.AddRow("single device", $"{(check.WithinTolerance ? "[green]equal[/]" : "[red]DIFFERENT[/]")} (max |Δ| {check.MaxAbsDiff:E2}; {check.SingleDeviceSeconds:F1} s on one device)");
        }
        if (summary.Pretrained is { } model)
        {
            table.AddRow("model", $"{Markup.Escape(model.Family)}, {model.Parameters / 1e6:N1}M parameters, {model.Heads} heads / {model.KvHeads} kv heads, {model.ComputeType}: {Markup.Escape(string.Join(", ", summary.MechanismPerLayer.Distinct()))}");
        }
        if (summary.LanguageModel is { } lm)
        {
            table.AddRow("language model", $"loss {lm.Loss:F3} nats/token, perplexity {lm.Perplexity:N1} over {lm.ScoredTokens:N0} tokens ({Markup.Escape(lm.Weights)}); per section in {BookJobFiles.Chapters}, {BookJobFiles.PerplexityPlot}, {BookJobFiles.SimilarityPlot}");
        }
        table.AddRow("trace", summary.TraceId);
        table.AddRow("output", Markup.Escape(Path.GetFullPath(output)));
        context.Console.Write(table);
    }
}
