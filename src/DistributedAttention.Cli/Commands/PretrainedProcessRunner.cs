using DistributedAttention.Abstractions;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Cli.Progress;
using DistributedAttention.Client;
using DistributedAttention.Pipeline;
using DistributedAttention.Pipeline.Local;
using Spectre.Console;

namespace DistributedAttention.Cli.Commands;

/// <summary>
/// Runs <c>distattn process BOOK --model DIR</c>: the pretrained book job (<see cref="PretrainedBookJob"/>)
/// with a progress view, the optional single-device check and the closing table.
/// </summary>
internal sealed class PretrainedProcessRunner(CliContext context, string bookPath, string output, string modelDirectory, int? maxTokens, string? encoding, bool verify)
{
    /// <summary>The shards' weights and matmuls (<c>float32</c> or <c>bfloat16</c>).</summary>
    public string ComputeType { get; init; } = PretrainedModel.Float32;

    /// <summary>Runs the job; returns the exit code.</summary>
    public async Task<int> RunAsync(ClusterChoice choice, Func<int, JobOptions> jobOptions, string? jobId, CancellationToken cancellationToken)
    {
        ProcessRunner.CreateOutputFolder(output);
        PreparedPretrainedBook book;
        try
        {
            book = PretrainedBookJob.Prepare(bookPath, Path.GetFileName(bookPath), modelDirectory, maxTokens, encoding) with { ComputeType = ComputeType };
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message, e);
        }
        var a = book.Model.Architecture;
        context.Console.MarkupLine($"[bold]{Markup.Escape(book.Name)}[/]: {book.Tokens.Length:N0} tokens ({Markup.Escape(a.ModelType)} tokenizer), {book.Sections.Count} sections ({book.Book.Decoding.EncodingName}).");
        foreach (var warning in book.Warnings) context.Console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");

        await using var connection = await context.Connector.ConnectAsync(choice, cancellationToken).ConfigureAwait(false);
        var options = jobOptions(connection.Silos);
        if (options.Shards > book.Tokens.Length) throw new UsageException($"--shards {options.Shards} is more than the {book.Tokens.Length} tokens; every shard needs at least one.");
        var client = new JobClient(connection.Grains);
        var view = new JobProgressView(context.Console);
        var title = $"{Path.GetFileName(book.Model.Directory)}: {a.Layers.Count} layer(s), {options.Shards} shard(s) on {connection.Description}";
        var cluster = new ClusterInfo(connection.Silos, connection.Description);
        Func<string, SingleDeviceCheck>? verifier = verify ? hidden =>
        {
            view.Note("Verifying: the same checkpoint on this machine as one device…");
            return PretrainedVerification.Run(book.Model, book.Tokens, hidden, book.ComputeType);
        }
        : null;
        var result = await view.ShowWhileAsync(title, progress => PretrainedBookJob.RunAsync(client, book, options, cluster, output, jobId, progress, cancellationToken, verifier, TensorBookWork.Instance)).ConfigureAwait(false);

        var summary = result.Summary;
        ProcessRunner.Report(context, summary, output);
        if (summary.Verification is { WithinTolerance: false } check)
        {
            context.Console.MarkupLine($"[red]error:[/] the cluster's hidden states differ from the single-device run (max |Δ| {check.MaxAbsDiff:E2}).");
            return ExitCodes.JobFailed;
        }
        return ExitCodes.Ok;
    }
}
