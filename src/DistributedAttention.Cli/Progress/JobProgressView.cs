using DistributedAttention.Abstractions;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DistributedAttention.Cli.Progress;

/// <summary>
/// Shows a running job's progress per shard and layer: a live table on a terminal, one line per
/// change when the output is redirected (logs, CI, tests). Fed by the statuses JobClient polls.
/// </summary>
public sealed class JobProgressView : IProgress<JobStatus>
{
    private readonly IAnsiConsole console;
    private readonly bool live;
    private JobStatus? latest;
    private string? note;
    private string lastLine = "";

    /// <summary>A view writing to <paramref name="console"/>.</summary>
    public JobProgressView(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        this.console = console;
        live = console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi;
    }

    /// <inheritdoc />
    public void Report(JobStatus value)
    {
        Volatile.Write(ref latest, value);
        if (!live) WriteLineIfChanged(value);
    }

    /// <summary>What the work does after the cluster's part (e.g. the single-device check): the live table's caption, or one line.</summary>
    public void Note(string text)
    {
        Volatile.Write(ref note, text);
        if (live) return;
        lock (console) console.MarkupLine(Markup.Escape(text));
    }

    /// <summary>Runs <paramref name="work"/> (which reports to this view) while showing its progress.</summary>
    public async Task<T> ShowWhileAsync<T>(string title, Func<IProgress<JobStatus>, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!live)
        {
            console.MarkupLine($"[bold]{Markup.Escape(title)}[/]");
            return await work(this).ConfigureAwait(false);
        }

        var task = work(this);
        await console.Live(Render(title, null, null)).AutoClear(false).StartAsync(async context =>
        {
            while (!task.IsCompleted)
            {
                context.UpdateTarget(Render(title, Volatile.Read(ref latest), Volatile.Read(ref note)));
                await Task.WhenAny(task, Task.Delay(200)).ConfigureAwait(false);
            }
            context.UpdateTarget(Render(title, Volatile.Read(ref latest), null));
        }).ConfigureAwait(false);
        return await task.ConfigureAwait(false);
    }

    private void WriteLineIfChanged(JobStatus status)
    {
        var done = status.Shards.Sum(s => s.LayersDone);
        var total = status.Shards.Length * Math.Max(1, status.Layers);
        var line = status.State == JobState.Queued
            ? Queued(status)
            : $"{status.State.ToString().ToLowerInvariant()}: {done}/{total} shard-layers done, {status.Recoveries.Length} recoveries";
        lock (console)
        {
            if (line == lastLine) return;
            lastLine = line;
            console.WriteLine($"  [{status.ElapsedSeconds,7:F1}s] {line}");
        }
    }

    private static IRenderable Render(string title, JobStatus? status, string? note)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        table.AddColumns("shard", "silo", "device", "layers");
        if (status is null)
        {
            table.Caption("planning and uploading…");
            return table;
        }
        if (status.State == JobState.Queued)
        {
            table.Caption(Markup.Escape(Queued(status)));
            return table;
        }
        foreach (var shard in status.Shards.OrderBy(s => s.Shard))
        {
            table.AddRow(
                shard.Shard.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(shard.Silo),
                Markup.Escape(shard.Device),
                Bar(shard.LayersDone, status.Layers));
        }
        var bytes = status.BytesByCollective.Values.Sum();
        table.Caption(note is not null ? Markup.Escape(note) : $"{status.State.ToString().ToLowerInvariant()} · {status.ElapsedSeconds:F1} s · {bytes / 1e6:F1} MB exchanged · {status.Recoveries.Length} recoveries");
        return table;
    }

    private static string Queued(JobStatus status) =>
        $"queued: waiting for memory ({status.MemoryBytes / (double)(1L << 30):F1} GiB estimated), {status.QueuePosition} job(s) ahead";

    private static string Bar(int done, int layers)
    {
        layers = Math.Max(1, layers);
        done = Math.Clamp(done, 0, layers);
        return $"[green]{new string('█', done)}[/][grey]{new string('░', layers - done)}[/] {done}/{layers}";
    }
}
