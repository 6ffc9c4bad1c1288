using System.Diagnostics;
using System.Globalization;
using DistributedAttention.Abstractions;
using DistributedAttention.Diagnostics;
using DistributedAttention.Grains.Messaging;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards;

/// <summary>The shard's work: prepare, run layers as numbered attempts, abort, and its place in the ring.</summary>
public sealed partial class ShardGrain
{
    private Task<LayerReport>? preparing;
    private LayerRun? running;
    private int abortedThrough;

    /// <inheritdoc />
    public async Task<LayerReport> PrepareAsync()
    {
        RequireJob();
        if (held.Count > 0) return new LayerReport(Shard, -1, directory.LocalSilo.ToString(), 0, []);
        // A coordinator that resumes may ask again while the first prepare runs: both get the same one.
        preparing ??= PrepareOnceAsync();
        try
        {
            return await preparing;
        }
        catch
        {
            preparing = null;
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<LayerReport> RunLayerAsync(int layer, int attempt)
    {
        RequireJob();
        if (attempt <= abortedThrough) throw new RingAbortedException($"attempt {attempt} of shard {Shard} was abandoned.", new OperationCanceledException());
        if (running is { } previous)
        {
            if (previous.Attempt == attempt && previous.Layer == layer) return await previous.Work!;
            if (previous.Attempt > attempt) throw new InvalidOperationException($"shard {Shard} already runs attempt {previous.Attempt}; attempt {attempt} is stale.");
            // A newer attempt supersedes the one still running (its coordinator was lost): stop that one first.
            await StopRunsAsync(previous.Attempt, $"attempt {attempt} superseded it");
        }
        if (!held.TryGetValue(layer, out var input))
            throw new InvalidOperationException($"shard {Shard} does not hold the input of layer {layer} (it holds {(held.Count == 0 ? "none" : string.Join(", ", held.Keys))}).");
        // The coordinator starts a layer only when every shard finished the one before, so older inputs are done with.
        foreach (var old in held.Keys.Where(l => l < layer).ToArray()) Replace(old, null);
        // So are the copies of older inputs this shard keeps for its predecessors (a layer's worth of memory),
        // and after layer 0 its uploaded inputs, which were the copy of its input to layer 0.
        Backups.DropBefore(layer);
        if (layer > 0 && inputs is not null)
        {
            inputs.Dispose();
            inputs = null;
        }

        var run = new LayerRun(layer, attempt, new CancellationTokenSource());
        running = run;
        run.Work = RunOnceAsync(run, input);
        try
        {
            return await run.Work;
        }
        finally
        {
            if (running == run) running = null;
            run.Cancel.Dispose();
        }
    }

    /// <inheritdoc />
    public Task AbortAsync(int attempt) => StopRunsAsync(attempt, $"attempt {attempt} was abandoned by the coordinator");

    /// <inheritdoc />
    public Task DeliverAsync(RingMessage message)
    {
        mailbox.Deliver(message);
        return Task.CompletedTask;
    }

    private async Task<LayerReport> PrepareOnceAsync()
    {
        using var span = ComputeSpan(-1, 0);
        var traffic = new TrafficCounter();
        var clock = Stopwatch.StartNew();
        try
        {
            var first = await program!.PrepareAsync(inputs!.Complete(), executor!, CancellationToken.None);
            Replace(0, first);
            await PushBackupsAsync(0, UploadedChunks(), traffic);
        }
        catch (Exception e)
        {
            span.Fail(e);
            throw;
        }
        span?.SetTag(AttributeNames.Bytes, traffic.Total);
        return new LayerReport(Shard, -1, directory.LocalSilo.ToString(), clock.Elapsed.TotalSeconds, traffic.Snapshot(), PeakMemoryBytes: PeakMemory());
    }

    private async Task<LayerReport> RunOnceAsync(LayerRun run, Tensor[] input)
    {
        using var span = ComputeSpan(run.Layer, run.Attempt);
        var clock = Stopwatch.StartNew();
        // Peers are resolved here, on the activation: the ring code continues on other threads.
        var peers = Enumerable.Range(0, layout!.Count).Select(Peer<IShardRing>).ToArray();
        var options = assignment!.Options;
        var transport = new OrleansRingTransport(layout, Shard, $"a{run.Attempt}/L{run.Layer}/", s => peers[s], mailbox, executor!, options.Wire, options.ChunkBytes);
        try
        {
            var output = await program!.RunLayerAsync(run.Layer, input, transport, executor!, run.Cancel.Token);
            Replace(run.Layer + 1, output);
            // The last layer's output is not copied: a shard lost after the job is restored to its
            // input to the last layer, which every shard and holder still keeps, and that layer runs again.
            if (run.Layer + 1 < assignment.Work.Layers) await PushBackupsAsync(run.Layer + 1, HeldChunks(output), transport.Traffic);
        }
        catch (Exception e)
        {
            span.Fail(e);
            throw;
        }
        var (wait, transfer) = (transport.Clock.WaitSeconds, transport.Clock.TransferSeconds);
        span?.SetTag(AttributeNames.Bytes, transport.Traffic.Total);
        span?.SetTag(AttributeNames.WaitSeconds, wait);
        span?.SetTag(AttributeNames.TransferSeconds, transfer);
        return new LayerReport(Shard, run.Layer, directory.LocalSilo.ToString(), clock.Elapsed.TotalSeconds, transport.Traffic.Snapshot(), wait, transfer, PeakMemory());
    }

    /// <summary>The peak resident memory of this silo's process so far (on Linux the kernel's high-water mark).</summary>
    private static long PeakMemory()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }

    /// <summary>The span of this shard's work in one layer (−1: prepare), with where it runs.</summary>
    private System.Diagnostics.Activity? ComputeSpan(int layer, int attempt)
    {
        var span = Telemetry.Start(SpanNames.ShardCompute, layer < 0 ? $"shard {Shard} prepare" : $"shard {Shard} layer {layer}");
        if (span is null) return null;
        span.SetTag(AttributeNames.JobId, assignment!.JobId);
        span.SetTag(AttributeNames.Shard, Shard);
        span.SetTag(AttributeNames.Layer, layer);
        if (attempt > 0) span.SetTag(AttributeNames.Attempt, attempt);
        span.SetTag(AttributeNames.Tokens, layout!.Size(Shard));
        span.SetTag(AttributeNames.Silo, directory.LocalSilo.ToString());
        span.SetTag(AttributeNames.Device, slot!.Device);
        span.SetTag(AttributeNames.WireDType, assignment.Options.Wire.ToString());
        return span;
    }

    /// <summary>
    /// Abandons every attempt up to <paramref name="attempt"/> (its receives fail, its messages are
    /// dropped, also late ones) and waits until a run of such an attempt has stopped, so that no
    /// compute thread still uses tensors about to be replaced or disposed.
    /// </summary>
    private async Task StopRunsAsync(int attempt, string why)
    {
        if (attempt > abortedThrough)
        {
            abortedThrough = attempt;
            mailbox.Abort(tag => AttemptOf(tag) <= attempt, new OperationCanceledException($"{why}."));
        }
        if (running is { } run && run.Attempt <= attempt) await StopAsync(run);
        if (attempt == int.MaxValue) await WaitForPrepareAsync();
    }

    /// <summary>Stops whatever runs on this shard (a restore replaces its tensors) without abandoning later attempts.</summary>
    private async Task StopRunningAsync()
    {
        if (running is { } run) await StopAsync(run);
        await WaitForPrepareAsync();
    }

    private static async Task StopAsync(LayerRun run)
    {
        try
        {
            await run.Cancel.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The run finished meanwhile.
        }
        try
        {
            await run.Work!;
        }
        catch (Exception)
        {
            // Expected: the run was stopped; its caller sees why.
        }
    }

    private async Task WaitForPrepareAsync()
    {
        if (preparing is not { IsCompleted: false } prepare) return;
        try
        {
            await prepare;
        }
        catch (Exception)
        {
            // Its caller sees why.
        }
    }

    /// <summary>The attempt of a tag "a{attempt}/…"; int.MaxValue for any other tag (never aborted by number).</summary>
    private static int AttemptOf(string tag)
    {
        var slash = tag.IndexOf('/', StringComparison.Ordinal);
        return tag.Length > 1 && tag[0] == 'a' && slash > 1 && int.TryParse(tag.AsSpan(1, slash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var attempt)
            ? attempt
            : int.MaxValue;
    }

    /// <summary>One attempt at one layer on this shard.</summary>
    private sealed class LayerRun(int layer, int attempt, CancellationTokenSource cancel)
    {
        public int Layer { get; } = layer;

        public int Attempt { get; } = attempt;

        public CancellationTokenSource Cancel { get; } = cancel;

        public Task<LayerReport>? Work { get; set; }
    }
}
