using System.Diagnostics;
using System.Globalization;
using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Diagnostics;
using DistributedAttention.Formats;
using DistributedAttention.Text;

namespace DistributedAttention.Pipeline;

/// <summary>
/// A whole book through the transformer on the cluster, as <c>distattn process</c> and
/// <c>POST /v1/jobs/book</c> both run it: <see cref="Prepare"/> reads and tokenizes it, finds its
/// chapters and makes their starts global; <see cref="RunAsync"/> runs the job and writes the
/// hidden states, chapter vectors and summary into a folder (<see cref="BookJobFiles"/>), streaming
/// the hidden states so no output is ever whole in memory.
/// </summary>
public static class BookJob
{
    /// <summary>Reads, decodes and tokenizes the book at <paramref name="path"/> and chooses its model.</summary>
    /// <param name="path">The book file.</param>
    /// <param name="name">The book's name in outputs (usually its file name).</param>
    /// <param name="settings">Model and mechanism, already checked where they were read (<see cref="BookJobSettings.Validate"/>: the command line, the API).</param>
    /// <exception cref="ArgumentException">The book cannot be read or has no tokens, or the weights do not fit it; the message names the problem.</exception>
    public static PreparedBook Prepare(string path, string name, BookJobSettings settings)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(settings);
        using var span = Telemetry.Start(SpanNames.ClientPhase, "tokenize");
        span?.SetTag(AttributeNames.Phase, "tokenize");
        var clock = Stopwatch.StartNew();
        Book book;
        try
        {
            book = BookReader.Read(path, settings.Encoding is null ? null : new BookReadOptions { Decoding = new DecodeOptions { Encoding = settings.Encoding } });
        }
        catch (Exception e) when (e is BookFormatException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"cannot read book '{name}': {e.Message}", e);
        }
        if (book.TokenCount == 0) throw new ArgumentException($"book '{name}' has no tokens.");
        var tokens = settings.MaxTokens is { } max && max < book.TokenCount ? book.TokenIds[..max] : book.TokenIds;
        var sections = Sections(book, tokens.Length);
        var (model, weights) = settings.Weights is { } weightsPath ? Trained(weightsPath, book.VocabSize) : (settings.Model(book.VocabSize, Globals(settings, sections, tokens.Length)), null);
        span?.SetTag(AttributeNames.Tokens, tokens.Length);
        return new PreparedBook(Path.GetFullPath(path), name, book, tokens, sections, model, clock.Elapsed.TotalSeconds) { Weights = weights };
    }

    /// <summary>Runs <paramref name="book"/> on the cluster and writes its outputs into <paramref name="folder"/>.</summary>
    /// <param name="client">The cluster's job client.</param>
    /// <param name="book">The prepared book.</param>
    /// <param name="options">How to split the job.</param>
    /// <param name="cluster">What ran it, for the summary.</param>
    /// <param name="folder">The output folder (created if missing).</param>
    /// <param name="jobId">The job id (idempotent submission); null makes one.</param>
    /// <param name="progress">Receives every polled status.</param>
    /// <param name="cancellationToken">Cancels the job on the cluster.</param>
    /// <param name="verify">Checks the written hidden states (the path) against one device before the summary is written (<c>--verify</c>); null: no check.</param>
    /// <param name="local">This machine's tensor work (the matmul roof; scoring with trained weights); null on a host without libtorch.</param>
    /// <exception cref="ArgumentException">The options do not fit the book (e.g. more shards than tokens).</exception>
    /// <exception cref="JobFailedException">The job failed on the cluster.</exception>
    public static async Task<BookJobResult> RunAsync(
        JobClient client, PreparedBook book, JobOptions options, ClusterInfo cluster, string folder, string? jobId, IProgress<JobStatus>? progress, CancellationToken cancellationToken,
        Func<string, SingleDeviceCheck>? verify = null, ILocalBookWork? local = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(book);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cluster);
        var total = Stopwatch.StartNew();
        Directory.CreateDirectory(folder);
        var phases = new Dictionary<string, double> { ["tokenize"] = book.TokenizeSeconds };

        var hiddenPath = Path.Combine(folder, BookJobFiles.Hidden);
        using var sink = new HiddenStatesFileSink(hiddenPath, [.. book.Sections.Select(s => (s.TokenStart, s.TokenEnd))], Metadata(book));
        var timed = new TimedSink(sink);
        var result = await client.RunModelAsync(book.Model, book.Tokens, options, timed, progress, cancellationToken, jobId, book.Weights).ConfigureAwait(false);
        // Inputs go from here straight to the shards, so uploading is the client's phase, not the cluster's.
        phases["upload"] = result.UploadSeconds;
        foreach (var phase in result.Status.Phases) phases[phase.Phase] = phases.GetValueOrDefault(phase.Phase) + phase.Seconds;
        phases["download"] = timed.Seconds;

        var sections = book.Sections;
        LanguageModelSummary? languageModel = null;
        if (book.Weights is not null)
        {
            // The tied head over every hidden state: loss and perplexity per section, and the two pictures.
            if (local is null) throw new InvalidOperationException("scoring trained weights needs this machine's tensor work (ILocalBookWork), which this host lacks.");
            var scoring = Stopwatch.StartNew();
            (sections, languageModel) = local.Score(book, hiddenPath, sink.SectionMeans.Means(), folder);
            phases["score"] = scoring.Elapsed.TotalSeconds;
        }
        var clock = Stopwatch.StartNew();
        ChapterFiles.Write(folder, sections, sink.SectionMeans.Means(), book.Model.ModelDim, Metadata(book));
        phases["write"] = clock.Elapsed.TotalSeconds;
        var summary = BookSummaries.Summarize(book, options, cluster, result, phases, total.Elapsed.TotalSeconds + book.TokenizeSeconds, local?.MatmulGflops()) with { LanguageModel = languageModel, Verification = verify?.Invoke(hiddenPath) };
        JsonFiles.Write(Path.Combine(folder, BookJobFiles.Summary), summary);
        return new BookJobResult(summary, result, hiddenPath);
    }

    /// <summary>The model a checkpoint holds, as trained (its own mechanism and global positions), and the reference the silos read it by.</summary>
    private static (TransformerOptions Model, ModelWeights Weights) Trained(string path, int vocabSize)
    {
        TransformerOptions model;
        ModelWeights weights;
        try
        {
            model = TransformerCheckpointFile.ReadOptions(path);
            weights = ModelWeights.Of(path);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"weights '{path}': {e.Message}", e);
        }
        if (model.VocabSize != vocabSize)
        {
            throw new ArgumentException($"weights '{path}' have a vocabulary of {model.VocabSize:N0} ids; the book's tokenizer has {vocabSize:N0}.");
        }
        return (model, weights);
    }

    private static List<SectionRange> Sections(Book book, int tokens) =>
    [
        .. book.Sections
            .Where(s => s.HasTokenRange && s.TokenStart < Math.Min(s.TokenEnd, tokens))
            .Select((s, i) => new SectionRange(i, s.Title, s.Kind.ToString(), s.Level, s.TokenStart, Math.Min(s.TokenEnd, tokens), s.CharStart, s.CharEnd)),
    ];

    private static long[] Globals(BookJobSettings settings, IReadOnlyList<SectionRange> sections, int tokens)
    {
        var globals = new SortedSet<long>(sections.Select(s => s.TokenStart));
        if (settings.GlobalEvery > 0)
        {
            for (long p = 0; p < tokens; p += settings.GlobalEvery) globals.Add(p);
        }
        return [.. globals];
    }

    private static Dictionary<string, string> Metadata(PreparedBook book) => new()
    {
        ["format"] = "distattn.process/1",
        ["book"] = book.Name,
        ["tokens"] = book.Tokens.Length.ToString(CultureInfo.InvariantCulture),
        ["model_options"] = book.Model.ToJson(),
    };
}
