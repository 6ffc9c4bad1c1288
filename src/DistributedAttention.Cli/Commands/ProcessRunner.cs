using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Cli.Output;
using DistributedAttention.Cli.Parsing;
using DistributedAttention.Cli.Progress;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Model;
using DistributedAttention.Text;
using Spectre.Console;

namespace DistributedAttention.Cli.Commands;

/// <summary>Reads and tokenizes the book, runs the model job, and writes hidden states, chapter vectors and the summary.</summary>
internal sealed class ProcessRunner(CliContext context, ProcessSettings settings)
{
    public async Task<int> RunAsync(ClusterChoice choice, Func<int, JobOptions> jobOptions, string? jobId, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var phases = new Dictionary<string, double>();
        CreateOutputFolder();

        var clock = Stopwatch.StartNew();
        var book = ReadBook();
        var tokens = settings.MaxTokens is { } max && max < book.TokenCount ? book.TokenIds[..max] : book.TokenIds;
        var sections = Sections(book, tokens.Length);
        var model = settings.Model(book.VocabSize, Globals(sections, tokens.Length));
        phases["tokenize"] = clock.Elapsed.TotalSeconds;
        context.Console.MarkupLine($"[bold]{Markup.Escape(Path.GetFileName(settings.Book))}[/]: {tokens.Length:N0} tokens, {sections.Count} sections ({book.Decoding.EncodingName}).");

        await using var connection = await context.Connector.ConnectAsync(choice, cancellationToken).ConfigureAwait(false);
        var options = jobOptions(connection.Silos);
        if (options.Shards > tokens.Length) throw new UsageException($"--shards {options.Shards} is more than the {tokens.Length} tokens; every shard needs at least one.");

        var hiddenPath = Path.Combine(settings.Output, "hidden.safetensors");
        using var sink = new HiddenStatesFileSink(hiddenPath, [.. sections.Select(s => (s.TokenStart, s.TokenEnd))], Metadata(model, tokens.Length));
        var timed = new TimedSink(sink);
        var client = new JobClient(connection.Grains);
        var view = new JobProgressView(context.Console);
        var title = $"{model.Layers} layer(s), {options.Shards} shard(s) on {connection.Description}";
        var result = await view.ShowWhileAsync(title, progress => client.RunModelAsync(model, tokens, options, timed, progress, cancellationToken, jobId)).ConfigureAwait(false);
        // Inputs go from here straight to the shards, so uploading is the client's phase, not the cluster's.
        phases["upload"] = result.UploadSeconds;
        foreach (var phase in result.Status.Phases) phases[phase.Phase] = phases.GetValueOrDefault(phase.Phase) + phase.Seconds;
        phases["download"] = timed.Seconds;

        clock.Restart();
        ChapterFiles.Write(settings.Output, sections, sink.SectionMeans.Means(), model.ModelDim, Metadata(model, tokens.Length));
        phases["write"] = clock.Elapsed.TotalSeconds;
        SingleDeviceCheck? check = null;
        if (settings.Verify)
        {
            context.Console.MarkupLine("Verifying: the same model on this machine as one device…");
            check = SingleDeviceCheck.Run(model, tokens, hiddenPath);
        }
        var summary = Summarize(book, model, options, connection, result, phases, total.Elapsed.TotalSeconds, sections.Count) with { Verification = check };
        JsonFiles.Write(Path.Combine(settings.Output, "summary.json"), summary);
        Report(summary);
        if (check is { WithinTolerance: false })
        {
            context.Console.MarkupLine($"[red]error:[/] the cluster's hidden states differ from the single-device run (max |Δ| {check.MaxAbsDiff:E2}).");
            return ExitCodes.JobFailed;
        }
        return ExitCodes.Ok;
    }

    private void CreateOutputFolder()
    {
        try
        {
            Directory.CreateDirectory(settings.Output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--output '{settings.Output}' cannot be created: {e.Message}", e);
        }
    }

    private Book ReadBook()
    {
        try
        {
            var book = BookReader.Read(settings.Book);
            return book.TokenCount > 0 ? book : throw new UsageException($"book '{settings.Book}' has no tokens.");
        }
        catch (Exception e) when (e is BookFormatException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read book '{settings.Book}': {e.Message}", e);
        }
    }

    /// <summary>The book's sections cut to the first <paramref name="tokens"/> tokens; empty ones left out.</summary>
    private static List<SectionRange> Sections(Book book, int tokens) =>
    [
        .. book.Sections
            .Where(s => s.HasTokenRange && s.TokenStart < Math.Min(s.TokenEnd, tokens))
            .Select((s, i) => new SectionRange(i, s.Title, s.Kind.ToString(), s.Level, s.TokenStart, Math.Min(s.TokenEnd, tokens), s.CharStart, s.CharEnd)),
    ];

    /// <summary>Each section's first token, plus every K-th token when asked: the tokens that see and are seen by all.</summary>
    private long[] Globals(IReadOnlyList<SectionRange> sections, int tokens)
    {
        var globals = new SortedSet<long>(sections.Select(s => s.TokenStart));
        if (settings.GlobalEvery > 0)
        {
            for (long p = 0; p < tokens; p += settings.GlobalEvery) globals.Add(p);
        }
        return [.. globals];
    }

    private Dictionary<string, string> Metadata(TransformerOptions model, int tokens) => new()
    {
        ["format"] = "distattn.process/1",
        ["book"] = Path.GetFileName(settings.Book),
        ["tokens"] = tokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["model_options"] = model.ToJson(),
    };

    private ProcessSummary Summarize(
        Book book, TransformerOptions model, JobOptions options, ClusterConnection connection, ModelJobResult result,
        Dictionary<string, double> phases, double totalSeconds, int sections)
    {
        var status = result.Status;
        var jobSeconds = status.ElapsedSeconds > 0 ? status.ElapsedSeconds : totalSeconds;
        return new ProcessSummary(
            Path.GetFullPath(settings.Book),
            book.Decoding.EncodingName,
            result.Rows,
            sections,
            result.Plan.Bounds.Length - 1,
            connection.Silos,
            connection.Description,
            result.Plan.JobId,
            new ModelSummary(model.Layers, model.ModelDim, model.Heads, model.FeedForwardDim, model.VocabSize, model.Seed),
            [.. model.LayerAttention.Select(Describe)],
            ValueParsers.WireName(options.Wire),
            phases,
            totalSeconds,
            jobSeconds,
            result.Rows / jobSeconds,
            new BytesSummary(status.BytesByCollective.Values.Sum(), status.BytesByCollective, status.BytesPerLayer),
            [.. status.Recoveries.Select(r => new RecoverySummary(r.Shard, r.Layer, r.LostSilo, r.NewSilo, r.Source))],
            result.Plan.Bounds,
            [.. status.Shards.Select(s => new PlacementSummary(s.Shard, result.Plan.Bounds[s.Shard], result.Plan.Bounds[s.Shard + 1], s.Silo, s.Device))],
            options.EffectiveReplicas,
            [.. status.CoordinatorMoves.Select(m => new CoordinatorMoveSummary(m.LostSilo, m.NewSilo, m.LayersCompleted))]);
    }

    private static string Describe(AttentionSpec spec)
    {
        static string Side(int? w) => w?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "inf";
        var name = ValueParsers.MechanismName(spec.Kind);
        return spec.Kind switch
        {
            AttentionKind.Window or AttentionKind.BigBird =>
                $"{name} ({Side(spec.WindowLeft)},{Side(spec.EffectiveRight)}), dilation {spec.Dilation}, {spec.GlobalPositions.Count} global",
            _ => spec.Causal ? $"{name}, causal" : name,
        };
    }

    private void Report(ProcessSummary summary)
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
        table.AddRow("output", Markup.Escape(Path.GetFullPath(settings.Output)));
        context.Console.Write(table);
    }
}
