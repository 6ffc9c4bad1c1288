using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistributedAttention.Training;

/// <summary>
/// How a language model is trained: batch shape, optimiser, schedule, held-out split and how often
/// to evaluate and checkpoint. The model's shape is separate (<c>TransformerOptions</c>).
/// </summary>
public sealed record TrainingOptions
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.Strict };

    /// <summary>Optimiser steps in all.</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Sequences per batch.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Tokens per training sequence (and per held-out window).</summary>
    public int SequenceLength { get; init; } = 256;

    /// <summary>Peak learning rate, reached at the end of warm-up.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Learning rate at the last step, as a fraction of the peak (cosine decay ends there).</summary>
    public double MinLearningRateFraction { get; init; } = 0.1;

    /// <summary>Steps of linear warm-up from 0 to the peak.</summary>
    public int WarmupSteps { get; init; } = 50;

    /// <summary>Decoupled weight decay of AdamW, applied to matrices (the tied embedding too) and never to biases or norm scales.</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>AdamW β₁.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW β₂.</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>Gradients are scaled down so their global L2 norm is at most this (0: no clipping).</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Seed of the batch order: same seed, same batches at every step, resumed or not.</summary>
    public ulong DataSeed { get; init; } = 1;

    /// <summary>At least this fraction of each book's tokens, as whole sections from its end, is held out.</summary>
    public double HeldOutFraction { get; init; } = 0.05;

    /// <summary>Evaluate on held-out text every this many steps (0: only at the end).</summary>
    public int EvalEvery { get; init; } = 100;

    /// <summary>Held-out tokens the periodic evaluation reads: a fixed sample, the first tokens of every section (the final evaluation reads all of them too).</summary>
    public int EvalTokens { get; init; } = 16_384;

    /// <summary>Write a checkpoint every this many steps (0: only at the end).</summary>
    public int CheckpointEvery { get; init; } = 200;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }

        Require(Steps >= 1, $"steps must be >= 1 (got {Steps}).");
        Require(BatchSize >= 1, $"batch size must be >= 1 (got {BatchSize}).");
        Require(SequenceLength >= 2, $"sequence length must be >= 2 (got {SequenceLength}).");
        Require(double.IsFinite(LearningRate) && LearningRate > 0, $"learning rate must be a positive number (got {LearningRate}).");
        Require(MinLearningRateFraction is >= 0 and <= 1, $"minimum learning-rate fraction must be in [0, 1] (got {MinLearningRateFraction}).");
        Require(WarmupSteps >= 0 && WarmupSteps < Steps, $"warm-up steps must be in [0, steps) = [0, {Steps}) (got {WarmupSteps}).");
        Require(WeightDecay is >= 0 and < 1, $"weight decay must be in [0, 1) (got {WeightDecay}).");
        Require(Beta1 is >= 0 and < 1, $"beta1 must be in [0, 1) (got {Beta1}).");
        Require(Beta2 is >= 0 and < 1, $"beta2 must be in [0, 1) (got {Beta2}).");
        Require(double.IsFinite(ClipNorm) && ClipNorm >= 0, $"clip norm must be >= 0 (got {ClipNorm}).");
        Require(HeldOutFraction is > 0 and < 1, $"held-out fraction must be in (0, 1) (got {HeldOutFraction}).");
        Require(EvalEvery >= 0, $"eval-every must be >= 0 (got {EvalEvery}).");
        Require(EvalTokens >= 1, $"eval tokens must be >= 1 (got {EvalTokens}).");
        Require(CheckpointEvery >= 0, $"checkpoint-every must be >= 0 (got {CheckpointEvery}).");
    }

    /// <summary>These options as indented JSON, as a checkpoint stores them.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Options from <see cref="ToJson"/> output; validated.</summary>
    /// <exception cref="ArgumentException">The JSON is malformed or the options are invalid.</exception>
    public static TrainingOptions FromJson(string json)
    {
        TrainingOptions? options;
        try
        {
            options = JsonSerializer.Deserialize<TrainingOptions>(json, Json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"training options JSON is malformed: {e.Message}", nameof(json), e);
        }
        if (options is null) throw new ArgumentException("training options JSON is null.", nameof(json));
        options.Validate();
        return options;
    }
}
