using System.CommandLine;
using DistributedAttention.Contracts;
using DistributedAttention.Pipeline;

namespace DistributedAttention.Cli.Commands;

/// <summary><c>distattn process BOOK</c>: hidden states and chapter vectors of a whole book, computed on the cluster.</summary>
internal static class ProcessCommand
{
    public static Command Create(CliContext context)
    {
        var book = new Argument<string>("book") { Description = "The book: a plain-text file (any common encoding; Project Gutenberg boilerplate is dropped)." };
        var output = new Option<string?>("--output", "-o") { Description = "Output folder (default: BOOK-NAME.distattn beside the current directory).", HelpName = "DIR" };
        var layers = new Option<int>("--layers") { Description = "Transformer layers.", DefaultValueFactory = _ => 2, HelpName = "L" };
        var modelDim = new Option<int>("--model-dim") { Description = "Hidden size d_model.", DefaultValueFactory = _ => 64, HelpName = "D" };
        var heads = new Option<int>("--heads") { Description = "Attention heads (must divide d_model).", DefaultValueFactory = _ => 4, HelpName = "H" };
        var ffn = new Option<int?>("--ffn-dim") { Description = "Feed-forward inner size (default 4·d_model)." };
        var modelSeed = new Option<ulong>("--model-seed") { Description = "Seed of the model weights.", DefaultValueFactory = _ => 1 };
        var globalEvery = new Option<int>("--global-every") { Description = "Besides each chapter start, make every K-th token global (0: chapter starts only).", DefaultValueFactory = _ => 0, HelpName = "K" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Process only the first N tokens.", HelpName = "N" };
        var encoding = new Option<string?>("--encoding") { Description = "The book's encoding (utf-8, windows-1252, latin1, utf-16, utf-16BE…) when it has no byte-order mark and detection guesses wrong.", HelpName = "NAME" };
        var weights = new Option<string?>("--weights") { Description = "A trained checkpoint (distattn train's model.safetensors) to run instead of seeded weights, as trained: its shape and mechanism. Adds loss and perplexity per section to chapters.json, and two plots. Every silo reads it at the same path.", HelpName = "FILE" };
        var model = new Option<string?>("--model") { Description = "A Hugging Face model folder (config.json, model.safetensors or its index and shards, tokenizer.json) of a Llama, Mistral, Qwen2, Gemma 2 or Gemma 3 checkpoint, run instead of the built-in transformer: the book is tokenized with its tokenizer, each layer attends as the config says (sliding windows as halos, full layers on the causal ring), and every token's log-probability is scored on the shards. Every silo reads the folder at the same path.", HelpName = "DIR" };
        var dtype = new Option<string>("--dtype") { Description = "With --model: fp32 (default) or bf16. bf16 keeps the weights in bf16 and runs the matmuls in bf16; norms, activations, attention and the hidden states stay fp32 (about 1-2 % of max |hidden|, see docs/architecture.md).", DefaultValueFactory = _ => "fp32", HelpName = "TYPE" };
        var verify = new Option<bool>("--verify") { Description = "Also run the model on this machine as one device and check the cluster's hidden states equal it (fp32 tolerance); exit 1 if not." };
        var mechanism = new MechanismOptions(AttentionKind.Window, defaultWindow: 128);
        var cluster = new ClusterOptions();
        var command = new Command("process", "Run a transformer over a whole book: hidden states, chapter vectors and a summary.")
        {
            book, output, layers, modelDim, heads, ffn, modelSeed, globalEvery, maxTokens, encoding, weights, model, dtype, verify,
        };
        mechanism.AddTo(command);
        cluster.AddTo(command);
        command.Add(Dashboard.DashboardForRun.CreateOption());
        command.SetAction(async (result, cancellationToken) =>
        {
            var bookPath = result.GetValue(book)!;
            if (result.GetValue(model) is { } modelDirectory)
            {
                var own = command.Options.Where(o => o == layers || o == modelDim || o == heads || o == ffn || o == modelSeed || o == globalEvery || o == weights || mechanism.All.Contains(o))
                    .Where(o => result.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (own.Count > 0) throw new UsageException($"--model runs the checkpoint as its config.json defines it (shape, attention, weights); drop {string.Join(", ", own)}.");
                if (!Directory.Exists(modelDirectory)) throw new UsageException(File.Exists(modelDirectory) ? $"--model '{modelDirectory}' is a file; give the model folder (with config.json)." : $"--model folder '{modelDirectory}' does not exist.");
                if (!File.Exists(bookPath)) throw new UsageException(Directory.Exists(bookPath) ? $"'{bookPath}' is a folder, not a book file." : $"book file '{bookPath}' does not exist.");
                if (result.GetValue(maxTokens) is < 1) throw new UsageException("--max-tokens must be >= 1.");
                cluster.Validate(result);
                var computeType = ValueParsers.ComputeType(result.GetValue(dtype)!, "--dtype");
                var pretrained = new PretrainedProcessRunner(context, bookPath, result.GetValue(output) ?? Path.GetFileNameWithoutExtension(bookPath) + ".distattn", modelDirectory,
                    result.GetValue(maxTokens), result.GetValue(encoding), result.GetValue(verify))
                { ComputeType = computeType };
                return await pretrained.RunAsync(cluster.Choice(result), silos => cluster.Job(result, silos), cluster.Id(result), cancellationToken).ConfigureAwait(false);
            }
            if (result.GetResult(dtype) is { Implicit: false }) throw new UsageException("--dtype applies to a pretrained model (--model DIR); the built-in transformer computes in fp32.");
            var settings = new BookJobSettings(
                result.GetValue(layers),
                result.GetValue(modelDim),
                result.GetValue(heads),
                result.GetValue(ffn) ?? 4 * result.GetValue(modelDim),
                result.GetValue(modelSeed),
                result.GetValue(globalEvery),
                result.GetValue(maxTokens),
                mechanism.Build(result, []))
            { Encoding = result.GetValue(encoding), Weights = result.GetValue(weights) };
            settings.Validate("--");
            if (settings.Weights is { } weightsPath) CheckAgainstWeights(result, weightsPath, command, (layers, modelDim, heads, ffn), [modelSeed, globalEvery, .. mechanism.All]);
            if (!File.Exists(bookPath)) throw new UsageException(Directory.Exists(bookPath) ? $"'{bookPath}' is a folder, not a book file." : $"book file '{bookPath}' does not exist.");
            cluster.Validate(result);
            var runner = new ProcessRunner(context, bookPath, result.GetValue(output) ?? Path.GetFileNameWithoutExtension(bookPath) + ".distattn", settings, result.GetValue(verify));
            return await runner.RunAsync(cluster.Choice(result), silos => cluster.Job(result, silos), cluster.Id(result), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// A checkpoint brings its own model: a shape flag must agree with it, and flags that would
    /// change what was trained (seed, mechanism, global tokens) are refused.
    /// </summary>
    private static void CheckAgainstWeights(ParseResult result, string path, Command command, (Option<int> Layers, Option<int> ModelDim, Option<int> Heads, Option<int?> Ffn) shape,
        IReadOnlyCollection<Option> asTrained)
    {
        if (!File.Exists(path)) throw new UsageException(Directory.Exists(path) ? $"--weights '{path}' is a folder; give the checkpoint file (model.safetensors)." : $"--weights '{path}' does not exist.");
        TransformerOptions trained;
        try
        {
            trained = DistributedAttention.Model.TransformerModel.ReadOptions(path);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"--weights: {e.Message}", e);
        }
        var given = (Option o) => result.GetResult(o) is { Implicit: false };
        foreach (var (option, value, expected) in new (Option, int, int)[]
        {
            (shape.Layers, result.GetValue(shape.Layers), trained.Layers),
            (shape.ModelDim, result.GetValue(shape.ModelDim), trained.ModelDim),
            (shape.Heads, result.GetValue(shape.Heads), trained.Heads),
            (shape.Ffn, result.GetValue(shape.Ffn) ?? 0, trained.FeedForwardDim),
        })
        {
            var name = option.Name;
            if (given(option) && value != expected)
            {
                throw new UsageException($"{name} {value} does not match the weights in '{path}', which have {expected} ({name[2..]}); drop the flag or give the matching value.");
            }
        }
        var changing = command.Options
            .Where(asTrained.Contains)
            .Where(given)
            .Select(o => o.Name)
            .ToList();
        if (changing.Count > 0) throw new UsageException($"--weights runs the checkpoint as it was trained (its mechanism and seeds); drop {string.Join(", ", changing)}.");
    }
}
