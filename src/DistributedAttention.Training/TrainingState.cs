using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistributedAttention.Training;

/// <summary>Where a run stands at a checkpoint: everything besides the weights and optimiser moments that a resume needs.</summary>
/// <param name="Step">Optimiser steps taken.</param>
/// <param name="TokensSeen">Training tokens predicted so far.</param>
/// <param name="ElapsedSeconds">Training time so far, across resumes.</param>
/// <param name="Training">The run's training options.</param>
/// <param name="ModelJson">The model's options as JSON (also in the weights file).</param>
/// <param name="Books">What the run trains on, so a resume can refuse different data.</param>
public sealed record TrainingState(int Step, long TokensSeen, double ElapsedSeconds, TrainingOptions Training, string ModelJson, IReadOnlyList<BookFingerprint> Books)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.Strict };

    /// <summary>This state as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A state from <see cref="ToJson"/> output.</summary>
    /// <exception cref="InvalidDataException">The JSON is malformed.</exception>
    public static TrainingState FromJson(string json, string source)
    {
        TrainingState? state;
        try
        {
            state = JsonSerializer.Deserialize<TrainingState>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: training state is malformed: {e.Message}", e);
        }
        if (state?.Training is null || state.ModelJson is null || state.Books is null)
        {
            throw new InvalidDataException($"{source}: training state lacks its options, model or books.");
        }
        try
        {
            state.Training.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: training options in the state are invalid: {e.Message}", e);
        }
        return state;
    }
}

/// <summary>One training book as a resume checks it: name, split sizes and a hash of its training tokens.</summary>
/// <param name="Name">The book's file name.</param>
/// <param name="TrainTokens">Training tokens.</param>
/// <param name="HeldOutTokens">Held-out tokens.</param>
/// <param name="TrainSha256">SHA-256 of the training token ids (little-endian int32), hex.</param>
public sealed record BookFingerprint(string Name, int TrainTokens, long HeldOutTokens, string TrainSha256)
{
    /// <summary>The fingerprint of <paramref name="split"/>.</summary>
    public static BookFingerprint Of(BookSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var hash = SHA256.HashData(MemoryMarshal.AsBytes(split.Train.AsSpan()));
        return new BookFingerprint(split.Book, split.Train.Length, split.HeldOutTokens, Convert.ToHexStringLower(hash));
    }
}
