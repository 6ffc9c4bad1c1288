using System.Globalization;
using DistributedAttention.Training;
using Spectre.Console;

namespace DistributedAttention.Cli.Progress;

/// <summary>
/// Shows a training run: a progress bar with step, loss, held-out loss and tokens/s on a terminal;
/// one line every twentieth of the run (and at each evaluation) when the output is redirected.
/// </summary>
public sealed class TrainingProgressView : IProgress<TrainingProgress>
{
    private readonly IAnsiConsole console;
    private readonly bool live;
    private ProgressTask? bar;
    private double smoothedRate;

    /// <summary>A view writing to <paramref name="console"/>.</summary>
    public TrainingProgressView(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        this.console = console;
        live = console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi;
    }

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var record = value.Record;
        // An exponential average: one step's rate jumps with evaluation and checkpoint pauses.
        smoothedRate = smoothedRate == 0 ? record.TokensPerSecond : (0.9 * smoothedRate) + (0.1 * record.TokensPerSecond);
        var heldOut = value.LatestHeldOutLoss is { } h ? h.ToString("F3", CultureInfo.InvariantCulture) : "–";
        var line = $"step {record.Step}/{value.Steps} · loss {record.TrainLoss:F3} · held-out {heldOut} · {smoothedRate:N0} tokens/s · {value.Phase}";
        if (bar is { } task)
        {
            task.Value = record.Step;
            task.Description = Markup.Escape(line);
            return;
        }
        var every = Math.Max(1, value.Steps / 20);
        if (record.Step % every == 0 || record.HeldOutLoss is not null || record.Step == value.Steps || record.Step == 1)
        {
            lock (console) console.WriteLine($"  [{record.ElapsedSeconds,7:F1}s] {line}");
        }
    }

    /// <summary>Runs <paramref name="work"/> (which reports to this view) while showing its progress.</summary>
    public async Task<T> ShowWhileAsync<T>(int startStep, int steps, Func<IProgress<TrainingProgress>, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!live) return await work(this).ConfigureAwait(false);
        T result = default!;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                bar = context.AddTask(startStep > 0 ? $"resuming at step {startStep}…" : "first step…", maxValue: steps);
                bar.Value = startStep;
                try
                {
                    result = await work(this).ConfigureAwait(false);
                }
                finally
                {
                    bar.StopTask();
                    bar = null;
                }
            }).ConfigureAwait(false);
        return result;
    }
}
