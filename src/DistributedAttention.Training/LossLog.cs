using System.Globalization;

namespace DistributedAttention.Training;

/// <summary>
/// The loss curve as CSV (<c>step,tokens,learning_rate,train_loss,grad_norm,heldout_loss,tokens_per_s,elapsed_s</c>),
/// one row per step, flushed as it goes so a crash loses nothing already trained.
/// </summary>
public sealed class LossLog : IDisposable
{
    /// <summary>The header row.</summary>
    public const string Header = "step,tokens,learning_rate,train_loss,grad_norm,heldout_loss,tokens_per_s,elapsed_s";

    private readonly StreamWriter writer;

    private LossLog(StreamWriter writer, List<LossRecord> records)
    {
        this.writer = writer;
        Records = records;
    }

    /// <summary>Every row, those kept from before a resume included.</summary>
    public List<LossRecord> Records { get; }

    /// <summary>Starts a new log at <paramref name="path"/>.</summary>
    public static LossLog Create(string path)
    {
        var writer = new StreamWriter(path, append: false);
        writer.WriteLine(Header);
        writer.Flush();
        return new LossLog(writer, []);
    }

    /// <summary>Reopens the log at <paramref name="path"/> for a run resumed after <paramref name="step"/>: rows past it (written after the checkpoint) are dropped.</summary>
    /// <exception cref="InvalidDataException">The file is not a loss log.</exception>
    public static LossLog Resume(string path, int step)
    {
        var kept = File.Exists(path) ? Read(path).Where(r => r.Step <= step).ToList() : [];
        var log = Create(path);
        foreach (var record in kept) log.Append(record);
        return log;
    }

    /// <summary>Appends one row and flushes it.</summary>
    public void Append(LossRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Records.Add(record);
        var c = CultureInfo.InvariantCulture;
        writer.WriteLine(string.Join(
            ',',
            record.Step.ToString(c),
            record.Tokens.ToString(c),
            record.LearningRate.ToString("R", c),
            record.TrainLoss.ToString("R", c),
            record.GradientNorm.ToString("R", c),
            record.HeldOutLoss?.ToString("R", c) ?? "",
            record.TokensPerSecond.ToString("F1", c),
            record.ElapsedSeconds.ToString("F3", c)));
        writer.Flush();
    }

    /// <summary>The rows of a loss log.</summary>
    /// <exception cref="InvalidDataException">The file is not a loss log.</exception>
    public static List<LossRecord> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header) throw new InvalidDataException($"{path}: not a loss log (expected the header '{Header}').");
        var c = CultureInfo.InvariantCulture;
        var records = new List<LossRecord>();
        for (var i = 1; i < lines.Length; i++)
        {
            var f = lines[i].Split(',');
            if (f.Length != 8) throw new InvalidDataException($"{path}:{i + 1}: expected 8 fields, got {f.Length}.");
            try
            {
                records.Add(new LossRecord(
                    int.Parse(f[0], c), long.Parse(f[1], c), double.Parse(f[2], c), double.Parse(f[3], c), double.Parse(f[4], c),
                    f[5].Length == 0 ? null : double.Parse(f[5], c), double.Parse(f[6], c), double.Parse(f[7], c)));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}:{i + 1}: {e.Message}", e);
            }
        }
        return records;
    }

    /// <inheritdoc />
    public void Dispose() => writer.Dispose();
}
