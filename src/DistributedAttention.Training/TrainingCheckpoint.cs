using DistributedAttention.Model;
using TorchSharp.Modules;

namespace DistributedAttention.Training;

/// <summary>
/// A resumable checkpoint: a folder with the weights (<c>model.safetensors</c>, loadable by
/// <see cref="TransformerModel.Load"/>), the AdamW moments (<c>optimizer.bin</c>) and the run's
/// state (<c>state.json</c>). Written beside the old one and swapped in, so a crash mid-write
/// leaves the previous checkpoint whole.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>The weights file inside a checkpoint folder.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>The optimiser state file inside a checkpoint folder.</summary>
    public const string OptimizerFile = "optimizer.bin";

    /// <summary>The run state file inside a checkpoint folder.</summary>
    public const string StateFile = "state.json";

    /// <summary>Writes a checkpoint to <paramref name="folder"/>, replacing any there.</summary>
    public static void Save(string folder, TransformerModel model, AdamW optimizer, TrainingState state)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        var full = Path.GetFullPath(folder);
        var staging = full + ".partial";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        model.Save(Path.Combine(staging, WeightsFile));
        optimizer.save_state_dict(Path.Combine(staging, OptimizerFile));
        File.WriteAllText(Path.Combine(staging, StateFile), state.ToJson());
        var old = full + ".old";
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(full)) Directory.Move(full, old);
        Directory.Move(staging, full);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    /// <summary>The run state of the checkpoint in <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidDataException">There is no checkpoint there, or it is incomplete.</exception>
    public static TrainingState ReadState(string folder)
    {
        foreach (var file in new[] { WeightsFile, OptimizerFile, StateFile })
        {
            if (!File.Exists(Path.Combine(folder, file)))
            {
                throw new InvalidDataException($"no checkpoint to resume in '{folder}': {file} is missing.");
            }
        }
        var path = Path.Combine(folder, StateFile);
        return TrainingState.FromJson(File.ReadAllText(path), path);
    }

    /// <summary>Loads the weights and optimiser moments of the checkpoint in <paramref name="folder"/> into a model and optimiser of the same shape.</summary>
    public static void Restore(string folder, TransformerModel model, AdamW optimizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        model.LoadWeights(Path.Combine(folder, WeightsFile));
        try
        {
            optimizer.load_state_dict(Path.Combine(folder, OptimizerFile));
        }
        catch (Exception e) when (e is ArgumentException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"{Path.Combine(folder, OptimizerFile)}: optimizer state does not fit the model: {e.Message}", e);
        }
    }
}
