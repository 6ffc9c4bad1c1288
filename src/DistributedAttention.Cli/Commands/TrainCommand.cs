using System.CommandLine;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Training;

namespace DistributedAttention.Cli.Commands;

/// <summary><c>distattn train --books FILE…</c>: trains the transformer as a causal language model on one device.</summary>
internal static class TrainCommand
{
    public static Command Create(CliContext context)
    {
        var books = new Option<string[]>("--books") { Description = "Plain-text books to train on (any common encoding); the last sections of each are held out.", Required = true, AllowMultipleArgumentsPerToken = true, HelpName = "FILE" };
        var output = new Option<string>("--output", "-o") { Description = "Run folder: loss.csv, loss.png, checkpoint/, model.safetensors, summary.json.", DefaultValueFactory = _ => "distattn-train", HelpName = "DIR" };
        var preset = new Option<string>("--preset") { Description = $"Model and recipe to start from: {string.Join(", ", TrainingPreset.All.Keys)} ({TrainingPreset.Quick.Description}); flags override it.", DefaultValueFactory = _ => TrainingPreset.Quick.Name };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --output from its last checkpoint, exactly as configured; give the same --books." };
        var steps = new Option<int?>("--steps") { Description = "Optimiser steps.", HelpName = "N" };
        var batch = new Option<int?>("--batch-size") { Description = "Sequences per step.", HelpName = "B" };
        var length = new Option<int?>("--seq-len") { Description = "Tokens per sequence.", HelpName = "L" };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (linear warm-up, then cosine decay to a tenth).", HelpName = "RATE" };
        var warmup = new Option<int?>("--warmup") { Description = "Warm-up steps.", HelpName = "N" };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "AdamW decoupled weight decay on weight matrices." };
        var clip = new Option<double?>("--clip") { Description = "Clip the gradients' global L2 norm to this (0: no clipping)." };
        var dataSeed = new Option<ulong?>("--data-seed") { Description = "Seed of the batch order." };
        var heldOut = new Option<double?>("--heldout-fraction") { Description = "Hold out at least this fraction of each book, as whole sections from its end.", HelpName = "F" };
        var evalEvery = new Option<int?>("--eval-every") { Description = "Score a held-out sample every N steps (0: only at the end).", HelpName = "N" };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Write a checkpoint every N steps (0: only at the end and when stopped).", HelpName = "N" };
        var layers = new Option<int?>("--layers") { Description = "Transformer layers.", HelpName = "L" };
        var modelDim = new Option<int?>("--model-dim") { Description = "Hidden size d_model.", HelpName = "D" };
        var heads = new Option<int?>("--heads") { Description = "Attention heads (must divide d_model).", HelpName = "H" };
        var ffn = new Option<int?>("--ffn-dim") { Description = "Feed-forward inner size." };
        var modelSeed = new Option<ulong>("--model-seed") { Description = "Seed of the initial weights.", DefaultValueFactory = _ => 1 };
        var mechanism = new MechanismOptions(AttentionKind.Window, defaultWindow: 128);
        var command = new Command("train", "Train the transformer as a causal language model on books (one device), with held-out evaluation and resumable checkpoints.")
        {
            books, output, preset, resume, steps, batch, length, lr, warmup, weightDecay, clip, dataSeed, heldOut, evalEvery, checkpointEvery,
            layers, modelDim, heads, ffn, modelSeed,
        };
        mechanism.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var outputPath = result.GetValue(output)!;
            var bookPaths = result.GetValue(books) ?? [];
            var runner = new TrainRunner(context, bookPaths, outputPath);
            if (result.GetValue(resume))
            {
                var given = command.Options.Where(o => o != books && o != output && o != resume && result.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (given.Count > 0) throw new UsageException($"--resume continues the run exactly as it was configured; drop {string.Join(", ", given)}.");
                return await runner.ResumeAsync(cancellationToken).ConfigureAwait(false);
            }

            var name = result.GetValue(preset)!;
            if (!TrainingPreset.All.TryGetValue(name, out var chosen)) throw new UsageException($"--preset '{name}' is not one of {string.Join(", ", TrainingPreset.All.Keys)}.");
            var mechanismGiven = mechanism.All.Any(o => result.GetResult(o) is { Implicit: false });
            var attention = mechanismGiven ? mechanism.Build(result, []) with { Causal = true } : chosen.Attention;
            if (attention.Kind == AttentionKind.Linformer) throw new UsageException("--mechanism linformer has no causal form (its projection mixes future positions into every key), so it cannot train a next-token language model.");
            var recipe = chosen with
            {
                Layers = result.GetValue(layers) ?? chosen.Layers,
                ModelDim = result.GetValue(modelDim) ?? chosen.ModelDim,
                Heads = result.GetValue(heads) ?? chosen.Heads,
                FeedForwardDim = result.GetValue(ffn) ?? (result.GetValue(modelDim) is { } d ? 4 * d : chosen.FeedForwardDim),
                Attention = attention,
                Training = chosen.Training with
                {
                    Steps = result.GetValue(steps) ?? chosen.Training.Steps,
                    BatchSize = result.GetValue(batch) ?? chosen.Training.BatchSize,
                    SequenceLength = result.GetValue(length) ?? chosen.Training.SequenceLength,
                    LearningRate = result.GetValue(lr) ?? chosen.Training.LearningRate,
                    WarmupSteps = result.GetValue(warmup) ?? Math.Min(chosen.Training.WarmupSteps, Math.Max(0, (result.GetValue(steps) ?? chosen.Training.Steps) - 1)),
                    WeightDecay = result.GetValue(weightDecay) ?? chosen.Training.WeightDecay,
                    ClipNorm = result.GetValue(clip) ?? chosen.Training.ClipNorm,
                    DataSeed = result.GetValue(dataSeed) ?? chosen.Training.DataSeed,
                    HeldOutFraction = result.GetValue(heldOut) ?? chosen.Training.HeldOutFraction,
                    EvalEvery = result.GetValue(evalEvery) ?? chosen.Training.EvalEvery,
                    CheckpointEvery = result.GetValue(checkpointEvery) ?? chosen.Training.CheckpointEvery,
                },
            };
            try
            {
                recipe.Training.Validate();
                recipe.Model(vocabSize: 1, seed: 0).Validate();
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"invalid training settings: {e.Message}", e);
            }
            return await runner.StartAsync(recipe, result.GetValue(modelSeed), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
