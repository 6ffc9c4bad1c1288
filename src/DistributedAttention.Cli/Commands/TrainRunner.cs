using System.Globalization;
using DistributedAttention.Cli.Progress;
using DistributedAttention.Text;
using DistributedAttention.Training;
using Spectre.Console;

namespace DistributedAttention.Cli.Commands;

/// <summary>
/// Runs <c>distattn train</c>: reads and splits the books, starts or resumes the run, shows its
/// progress, and ends with the held-out figures against the unigram baseline.
/// </summary>
internal sealed class TrainRunner(CliContext context, IReadOnlyList<string> bookPaths, string output)
{
    private string CheckpointFolder => Path.Combine(output, LanguageModelTrainer.CheckpointFolder);

    /// <summary>A new run of <paramref name="recipe"/>; returns the exit code.</summary>
    public async Task<int> StartAsync(TrainingPreset recipe, ulong modelSeed, CancellationToken cancellationToken)
    {
        if (Directory.Exists(CheckpointFolder) || File.Exists(Path.Combine(output, LanguageModelTrainer.SummaryJson)))
        {
            throw new UsageException($"--output '{output}' already holds a training run; pass --resume to continue it, or choose another folder.");
        }
        var books = ReadBooks();
        var vocab = books.Select(b => b.VocabSize).Distinct().ToList();
        if (vocab.Count != 1) throw new UsageException($"the books were tokenised with different vocabularies ({string.Join(", ", vocab)}).");
        var splits = Split(books, recipe.Training.HeldOutFraction);
        var model = recipe.Model(vocab[0], modelSeed);
        LanguageModelTrainer trainer;
        try
        {
            trainer = LanguageModelTrainer.Start(output, model, recipe.Training, splits);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message, e);
        }
        using (trainer)
        {
            context.Console.MarkupLine($"Training [bold]{recipe.Name}[/]: {model.Layers} layer(s), d_model {model.ModelDim}, {model.Heads} heads, {Mechanism(recipe)}; {trainer.Parameters:N0} parameters.");
            return await RunAsync(trainer, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Continues the run in the output folder; returns the exit code.</summary>
    public async Task<int> ResumeAsync(CancellationToken cancellationToken)
    {
        TrainingState state;
        try
        {
            state = TrainingCheckpoint.ReadState(CheckpointFolder);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"--resume: {e.Message}", e);
        }
        var splits = Split(ReadBooks(), state.Training.HeldOutFraction);
        LanguageModelTrainer trainer;
        try
        {
            trainer = LanguageModelTrainer.Resume(output, state, splits);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"--resume: {e.Message}", e);
        }
        using (trainer)
        {
            context.Console.MarkupLine($"Resuming at step {state.Step}/{state.Training.Steps} ({trainer.Parameters:N0} parameters).");
            return await RunAsync(trainer, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<int> RunAsync(LanguageModelTrainer trainer, CancellationToken cancellationToken)
    {
        var options = trainer.Options;
        context.Console.MarkupLine(
            $"{options.Steps:N0} steps of {options.BatchSize} × {options.SequenceLength} tokens, peak learning rate {options.LearningRate.ToString("G3", CultureInfo.InvariantCulture)}; " +
            $"unigram baseline on the held-out sections: {trainer.Unigram.Loss:F3} nats/token.");
        var view = new TrainingProgressView(context.Console);
        TrainingSummary summary;
        try
        {
            // The trainer is synchronous (no await between a forward and its backward): give it a thread.
            summary = await view.ShowWhileAsync(trainer.Step, options.Steps, progress => Task.Run(() => trainer.Run(progress, cancellationToken), CancellationToken.None)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await context.Error.WriteLineAsync($"stopped after step {trainer.Step}; the checkpoint in '{CheckpointFolder}' holds it. 'distattn train --resume -o {output} --books …' continues.").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
        catch (TrainingDivergedException e)
        {
            await context.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.JobFailed;
        }
        Report(summary);
        return ExitCodes.Ok;
    }

    private List<Book> ReadBooks()
    {
        if (bookPaths.Count == 0) throw new UsageException("--books needs at least one file.");
        var books = new List<Book>();
        foreach (var path in bookPaths)
        {
            if (!File.Exists(path)) throw new UsageException(Directory.Exists(path) ? $"--books: '{path}' is a folder, not a book file." : $"--books: '{path}' does not exist.");
            try
            {
                var book = BookReader.Read(path);
                context.Console.MarkupLine($"  {Markup.Escape(Path.GetFileName(path))}: {book.TokenCount:N0} tokens, {book.Sections.Count} sections");
                books.Add(book);
            }
            catch (BookFormatException e)
            {
                throw new UsageException($"--books: {e.Message}", e);
            }
        }
        var names = books.GroupBy(b => Path.GetFileName(b.SourceName)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (names.Count > 0) throw new UsageException($"--books: two books share the file name {names[0]}; results are reported by file name.");
        return books;
    }

    private List<BookSplit> Split(IEnumerable<Book> books, double fraction)
    {
        var splits = books.Select(b => BookSplit.Of(b, fraction)).ToList();
        foreach (var split in splits)
        {
            var titles = split.HeldOut.Count <= 3 ? string.Join(", ", split.HeldOut.Select(s => s.Title)) : $"{split.HeldOut[0].Title} … {split.HeldOut[^1].Title}";
            context.Console.MarkupLine($"  {Markup.Escape(split.Book)}: {split.Train.Length:N0} training tokens; held out {split.HeldOutTokens:N0} in {split.HeldOut.Count} section(s): {Markup.Escape(titles)}");
        }
        return splits;
    }

    private static string Mechanism(TrainingPreset recipe) => recipe.Attention.Kind switch
    {
        Contracts.AttentionKind.Window => $"causal window {recipe.Attention.WindowLeft?.ToString(CultureInfo.InvariantCulture) ?? "∞"}",
        var kind => $"causal {Contracts.MechanismRegistry.NameOf(kind)}",
    };

    private void Report(TrainingSummary summary)
    {
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumns("", "");
        table.AddRow("steps", $"{summary.Steps:N0} ({summary.TokensSeen:N0} tokens) in {summary.ElapsedSeconds:F0} s");
        table.AddRow("training loss", $"{summary.FinalTrainLoss:F3} nats/token (mean of the last steps)");
        table.AddRow("held-out loss", $"{summary.HeldOut.Loss:F3} nats/token, perplexity {summary.HeldOut.Perplexity:N1} ({summary.HeldOut.Tokens:N0} tokens)");
        table.AddRow("unigram baseline", $"{summary.Unigram.Loss:F3} nats/token, perplexity {summary.Unigram.Perplexity:N1}");
        table.AddRow("written", Markup.Escape($"{Path.Combine(output, LanguageModelTrainer.WeightsFile)}, {LanguageModelTrainer.LossCsv}, {LanguageModelTrainer.LossPng}, {LanguageModelTrainer.SummaryJson}"));
        context.Console.Write(table);
    }
}
