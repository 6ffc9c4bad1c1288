using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistributedAttention.Training;

/// <summary>The result of a finished training run, as <c>summary.json</c> holds it.</summary>
/// <param name="Steps">Optimiser steps.</param>
/// <param name="TokensSeen">Training tokens predicted.</param>
/// <param name="ElapsedSeconds">Training time across resumes (evaluation and checkpoints included).</param>
/// <param name="Parameters">Trainable parameters (the tied head counts once).</param>
/// <param name="FinalTrainLoss">Mean training-batch loss over the last steps (up to 20).</param>
/// <param name="HeldOut">The final model's loss on every held-out section.</param>
/// <param name="Unigram">The add-one unigram baseline on the same sections.</param>
/// <param name="Model">The model's options as JSON.</param>
/// <param name="Training">The training options.</param>
public sealed record TrainingSummary(
    int Steps,
    long TokensSeen,
    double ElapsedSeconds,
    long Parameters,
    double FinalTrainLoss,
    HeldOutLoss HeldOut,
    HeldOutLoss Unigram,
    string Model,
    TrainingOptions Training)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>This summary as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A summary from <see cref="ToJson"/> output.</summary>
    /// <exception cref="InvalidDataException">The text is not a training summary.</exception>
    public static TrainingSummary FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainingSummary>(json, Json) ?? throw new InvalidDataException("the summary is empty (null).");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a training summary: {e.Message}", e);
        }
    }
}
