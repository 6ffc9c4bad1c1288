using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using DistributedAttention.Abstractions;
using DistributedAttention.Checkpoints;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Diagnostics;
using DistributedAttention.Formats;
using DistributedAttention.Text;

namespace DistributedAttention.Pipeline;

/// <summary>
/// A whole book through a pretrained checkpoint on the cluster (<c>distattn process --model DIR</c>):
/// <see cref="Prepare"/> checks the model folder and tokenizes the book with the checkpoint's own
/// tokenizer; <see cref="RunAsync"/> runs the job and writes the token ids, the hidden states
/// (streamed), the shards' next-token log-probs and entropies, the chapters with their loss and
/// perplexity, and the summary.
/// </summary>
public static class PretrainedBookJob
{
    /// <summary>Checks the model folder, reads the book and tokenizes it with the folder's tokenizer.json.</summary>
    /// <param name="path">The book file.</param>
    /// <param name="name">The book's name in outputs.</param>
    /// <param name="modelDirectory">The Hugging Face model folder.</param>
    /// <param name="maxTokens">Run only the first N tokens; null: all.</param>
    /// <param name="encoding">The book's encoding, when detection guesses wrong; null: detect.</param>
    /// <exception cref="ArgumentException">The folder, its tokenizer or the book cannot be used; the message names the problem.</exception>
    public static PreparedPretrainedBook Prepare(string path, string name, string modelDirectory, int? maxTokens = null, string? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(modelDirectory);
        using var span = Telemetry.Start(SpanNames.ClientPhase, "tokenize");
        span?.SetTag(AttributeNames.Phase, "tokenize");
        var clock = Stopwatch.StartNew();
        ModelFolder folder;
        try
        {
            folder = ModelFolder.Open(modelDirectory);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--model: {e.Message}", e);
        }
        if (folder.TokenizerPath is null) throw new ArgumentException($"--model: {folder.Directory} has no tokenizer.json; the book is tokenized with the checkpoint's own tokenizer.");
        Book book;
        try
        {
            book = BookReader.Read(path, encoding is null ? null : new BookReadOptions { Decoding = new DecodeOptions { Encoding = encoding } });
        }
        catch (Exception e) when (e is BookFormatException or IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"cannot read book '{name}': {e.Message}", e);
        }
        EncodedBook encoded;
        try
        {
            using var tokenizer = PretrainedTokenizer.Load(folder.TokenizerPath);
            encoded = tokenizer.Encode(book.Text);
        }
        catch (InvalidDataException e)
        {
            throw new ArgumentException($"--model: {e.Message}", e);
        }
        var all = encoded.Tokens;
        var vocab = folder.Architecture.VocabSize;
        var outside = Array.FindIndex(all.Ids, id => id < 0 || id >= vocab);
        if (outside >= 0) throw new ArgumentException($"--model: the tokenizer gave id {all.Ids[outside]} (token {outside}), outside the model's vocabulary of {vocab:N0}; tokenizer.json does not belong to this config.json.");
        var count = maxTokens is { } max && max < all.Count ? max : all.Count;
        if (count == 0) throw new ArgumentException($"book '{name}' has no tokens.");
        var tokens = all.Ids[..count];
        var sections = Section.WithTokenRanges(book.Sections, all)
            .Where(s => s.HasTokenRange && s.TokenStart < Math.Min(s.TokenEnd, count))
            .Select((s, i) => new SectionRange(i, s.Title, s.Kind.ToString(), s.Level, s.TokenStart, Math.Min(s.TokenEnd, count), s.CharStart, s.CharEnd))
            .ToList();
        // The first section starts at token 0 (the BOS), so every token belongs to one.
        if (sections.Count > 0 && sections[0].TokenStart > 0) sections[0] = sections[0] with { TokenStart = 0 };
        var warnings = new List<string>();
        if (count > folder.Architecture.MaxPositions)
            warnings.Add($"the book has {count:N0} tokens, more than the {folder.Architecture.MaxPositions:N0} positions the model was trained for (max_position_embeddings); its predictions past that may degrade.");
        if (!encoded.ExactOffsets) warnings.Add("the tokenizer's normalizer changed the text, so section boundaries in tokens are approximate (within a few tokens).");
        span?.SetTag(AttributeNames.Tokens, count);
        return new PreparedPretrainedBook(Path.GetFullPath(path), name, book, folder, tokens, sections, encoded.ExactOffsets, warnings, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Runs <paramref name="book"/> on the cluster and writes its outputs into <paramref name="folder"/>.</summary>
    /// <param name="client">The cluster's job client.</param>
    /// <param name="book">The prepared book.</param>
    /// <param name="options">How to split the job.</param>
    /// <param name="cluster">What ran it, for the summary.</param>
    /// <param name="folder">The output folder (created if missing).</param>
    /// <param name="jobId">The job id; null makes one.</param>
    /// <param name="progress">Receives every polled status.</param>
    /// <param name="cancellationToken">Cancels the job on the cluster.</param>
    /// <param name="verify">Checks the written hidden states against one device (<c>--verify</c>); null: no check.</param>
    /// <param name="local">This machine's tensor work (the matmul roof and the plots); null on a host without libtorch.</param>
    /// <exception cref="JobFailedException">The job failed on the cluster.</exception>
    public static async Task<PretrainedBookJobResult> RunAsync(
        JobClient client, PreparedPretrainedBook book, JobOptions options, ClusterInfo cluster, string folder, string? jobId, IProgress<JobStatus>? progress, CancellationToken cancellationToken,
        Func<string, SingleDeviceCheck>? verify = null, ILocalBookWork? local = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(book);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cluster);
        var total = Stopwatch.StartNew();
        Directory.CreateDirectory(folder);
        var phases = new Dictionary<string, double> { ["tokenize"] = book.TokenizeSeconds };
        var metadata = Metadata(book);
        WriteTokenIds(Path.Combine(folder, BookJobFiles.TokenIds), book.Tokens, metadata);

        var hiddenPath = Path.Combine(folder, BookJobFiles.Hidden);
        using var sink = new HiddenStatesFileSink(hiddenPath, [.. book.Sections.Select(s => (s.TokenStart, s.TokenEnd))], metadata);
        var timed = new TimedSink(sink);
        var result = await client.RunPretrainedAsync(PretrainedModel.Of(book.Model, book.ComputeType), book.Tokens, options, timed, progress, cancellationToken, jobId).ConfigureAwait(false);
        phases["upload"] = result.UploadSeconds;
        foreach (var phase in result.Status.Phases) phases[phase.Phase] = phases.GetValueOrDefault(phase.Phase) + phase.Seconds;
        phases["download"] = timed.Seconds;

        var clock = Stopwatch.StartNew();
        WriteScores(Path.Combine(folder, BookJobFiles.TokenLogProbs), result, metadata);
        var (sections, languageModel) = SectionScores.Apply(book.Sections, result.LogProb.Data, Path.GetFileName(book.Model.Directory));
        var means = sink.SectionMeans.Means();
        var hidden = book.Model.Architecture.HiddenSize;
        ChapterFiles.Write(folder, sections, means, hidden, metadata);
        local?.PlotSections(folder, book.Name, sections, means, hidden);
        phases["write"] = clock.Elapsed.TotalSeconds;
        var summary = PretrainedSummaries.Summarize(book, options, cluster, result, phases, total.Elapsed.TotalSeconds + book.TokenizeSeconds, local?.MatmulGflops())
            with
        { LanguageModel = languageModel, Verification = verify?.Invoke(hiddenPath) };
        JsonFiles.Write(Path.Combine(folder, BookJobFiles.Summary), summary);
        return new PretrainedBookJobResult(summary, result, hiddenPath);
    }

    private static void WriteTokenIds(string path, int[] tokens, IReadOnlyDictionary<string, string> metadata)
    {
        var ids = Array.ConvertAll(tokens, t => (long)t);
        using var writer = new SafetensorsStreamWriter(path, [new SafetensorsDeclaration("input_ids", ElementType.Int64, [ids.Length])], metadata);
        writer.Write("input_ids", MemoryMarshal.AsBytes(ids.AsSpan()));
        writer.Complete();
    }

    private static void WriteScores(string path, PretrainedJobResult result, IReadOnlyDictionary<string, string> metadata)
    {
        var n = result.LogProb.Data.Length;
        using var writer = new SafetensorsStreamWriter(path, [SafetensorsDeclaration.Float32("logprob", n), SafetensorsDeclaration.Float32("entropy", n)], metadata);
        writer.Write("logprob", MemoryMarshal.AsBytes(result.LogProb.Data.AsSpan()));
        writer.Write("entropy", MemoryMarshal.AsBytes(result.Entropy.Data.AsSpan()));
        writer.Complete();
    }

    private static Dictionary<string, string> Metadata(PreparedPretrainedBook book) => new()
    {
        ["format"] = "distattn.process/1",
        ["book"] = book.Name,
        ["tokens"] = book.Tokens.Length.ToString(CultureInfo.InvariantCulture),
        ["model"] = Path.GetFileName(book.Model.Directory),
        ["model_type"] = book.Model.Architecture.ModelType,
        ["model_fingerprint"] = book.Model.Fingerprint,
        ["compute_type"] = book.ComputeType,
    };
}
