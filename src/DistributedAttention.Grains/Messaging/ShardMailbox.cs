using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Messaging;

/// <summary>
/// The receive side of one shard: collects the chunks of each (sender, tag) as they arrive, in
/// any order, and hands the whole tensor to the one receiver of that (sender, tag), whether the
/// receiver asked before or after the chunks arrived. Thread-safe: deliveries run on the
/// grain's scheduler, receivers may wait on compute threads.
/// </summary>
/// <remarks>
/// Chunks stay bytes until received, so an aborted or never-received message holds no native
/// memory. Each (sender, tag) may be delivered once; a second complete delivery is an error.
/// </remarks>
public sealed class ShardMailbox
{
    private readonly Lock gate = new();
    private readonly Dictionary<(int From, string Tag), Slot> slots = [];
    private readonly HashSet<(int From, string Tag)> consumed = [];
    private readonly List<(string? Prefix, Func<string, bool> Matches, Exception Reason)> aborted = [];

    /// <summary>Number of (sender, tag) entries buffered or awaited.</summary>
    public int Pending
    {
        get
        {
            lock (gate) return slots.Count;
        }
    }

    /// <summary>Accepts one chunk. Chunks under an aborted tag prefix are dropped.</summary>
    /// <exception cref="InvalidOperationException">The chunk, or the whole tensor, was already delivered.</exception>
    /// <exception cref="ArgumentException">The chunk disagrees with earlier chunks of its tensor.</exception>
    public void Deliver(RingMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Count < 1 || message.Index < 0 || message.Index >= message.Count)
            throw new ArgumentException($"chunk {message.Index} of {message.Count} of tag '{message.Tag}' from shard {message.From} is out of range.", nameof(message));
        TaskCompletionSource<Arrival>? ready = null;
        Arrival? chunks = null;
        lock (gate)
        {
            if (AbortReason(message.Tag) is not null) return;
            var key = (message.From, message.Tag);
            if (consumed.Contains(key)) throw Duplicate(key);
            if (!slots.TryGetValue(key, out var slot)) slots[key] = slot = new Slot();
            if (slot.Complete) throw Duplicate(key);
            slot.Add(message);
            if (slot.Complete && slot.Waiter is not null)
            {
                (ready, chunks) = (slot.Waiter, slot.Take());
                slots.Remove(key);
                consumed.Add(key);
            }
        }
        // Completed outside the lock; continuations run asynchronously anyway.
        ready?.TrySetResult(chunks!);
    }

    /// <summary>
    /// The tensor shard <paramref name="from"/> sent under <paramref name="tag"/>, as a new fp32
    /// CPU tensor the caller owns.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another receive of the same (sender, tag) is waiting, or it was already received.</exception>
    /// <exception cref="RingAbortedException">The tag's prefix was aborted (<see cref="Abort(string, Exception)"/>).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; chunks that arrive later stay buffered for another receive.</exception>
    public async Task<Tensor> ReceiveAsync(int from, string tag, CancellationToken cancellationToken = default) =>
        (await ReceiveTimedAsync(from, tag, cancellationToken).ConfigureAwait(false)).Tensor;

    /// <summary>
    /// As <see cref="ReceiveAsync"/>, with when the first and the last piece arrived
    /// (<see cref="Stopwatch"/> timestamps) and the bytes that came over the wire, so the caller
    /// can tell waiting for the peer from the transfer itself.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another receive of the same (sender, tag) is waiting, or it was already received.</exception>
    /// <exception cref="RingAbortedException">The tag's prefix was aborted.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; chunks that arrive later stay buffered for another receive.</exception>
    public Task<ReceivedTensor> ReceiveTimedAsync(int from, string tag, CancellationToken cancellationToken = default) =>
        ReceiveTimedAsync(from, tag, InlineExecutor.Instance, cancellationToken);

    /// <summary>
    /// As <see cref="ReceiveTimedAsync(int, string, CancellationToken)"/>, the bytes turned into a
    /// tensor on <paramref name="decodeOn"/> (the shard's device thread).
    /// </summary>
    /// <exception cref="InvalidOperationException">Another receive of the same (sender, tag) is waiting, or it was already received.</exception>
    /// <exception cref="RingAbortedException">The tag's prefix was aborted.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; chunks that arrive later stay buffered for another receive.</exception>
    public async Task<ReceivedTensor> ReceiveTimedAsync(int from, string tag, IComputeExecutor decodeOn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tag);
        ArgumentNullException.ThrowIfNull(decodeOn);
        var key = (from, tag);
        TaskCompletionSource<Arrival>? waiter = null;
        Arrival? arrived = null;
        lock (gate)
        {
            if (AbortReason(tag) is { } reason) throw Aborted(key, reason);
            if (consumed.Contains(key)) throw new InvalidOperationException($"tag '{tag}' from shard {from} was already received.");
            if (!slots.TryGetValue(key, out var slot)) slots[key] = slot = new Slot();
            if (slot.Waiter is not null) throw new InvalidOperationException($"tag '{tag}' from shard {from} already has a receiver waiting.");
            if (slot.Complete)
            {
                arrived = slot.Take();
                slots.Remove(key);
                consumed.Add(key);
            }
            else
            {
                waiter = slot.Waiter = new TaskCompletionSource<Arrival>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        arrived ??= await WaitAsync(key, waiter!, cancellationToken).ConfigureAwait(false);
        // Not cancellable: the message is taken, and a decode is short.
        var whole = arrived;
        return await decodeOn.RunAsync(() => Decode(whole), CancellationToken.None).ConfigureAwait(false);
    }

    private async Task<Arrival> WaitAsync((int From, string Tag) key, TaskCompletionSource<Arrival> waiter, CancellationToken cancellationToken)
    {
        Arrival received;
        try
        {
            received = await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Withdraw(key, waiter);
            throw;
        }
        return received;
    }

    /// <summary>
    /// Fails waiting receives of tags starting with <paramref name="tagPrefix"/> with
    /// <paramref name="reason"/>, drops their buffered chunks, and drops such chunks that arrive later.
    /// </summary>
    public void Abort(string tagPrefix, Exception reason)
    {
        ArgumentNullException.ThrowIfNull(tagPrefix);
        Abort(tagPrefix, tag => tag.StartsWith(tagPrefix, StringComparison.Ordinal), reason);
    }

    /// <summary>As <see cref="Abort(string, Exception)"/>, for every tag <paramref name="matches"/> accepts.</summary>
    public void Abort(Func<string, bool> matches, Exception reason) => Abort(null, matches, reason);

    /// <summary>Forgets an earlier <see cref="Abort(string, Exception)"/> of exactly <paramref name="tagPrefix"/>, so the prefix can be used again.</summary>
    public void Reopen(string tagPrefix)
    {
        ArgumentNullException.ThrowIfNull(tagPrefix);
        lock (gate) aborted.RemoveAll(a => a.Prefix == tagPrefix);
    }

    private void Abort(string? prefix, Func<string, bool> matches, Exception reason)
    {
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentNullException.ThrowIfNull(reason);
        var waiters = new List<(int From, string Tag, TaskCompletionSource<Arrival> Waiter)>();
        lock (gate)
        {
            aborted.Add((prefix, matches, reason));
            foreach (var (key, slot) in slots.Where(e => matches(e.Key.Tag)).ToArray())
            {
                if (slot.Waiter is not null) waiters.Add((key.From, key.Tag, slot.Waiter));
                slots.Remove(key);
            }
            consumed.RemoveWhere(k => matches(k.Tag));
        }
        foreach (var (from, tag, waiter) in waiters) waiter.TrySetException(Aborted((from, tag), reason));
    }

    private void Withdraw((int From, string Tag) key, TaskCompletionSource<Arrival> waiter)
    {
        lock (gate)
        {
            if (slots.TryGetValue(key, out var slot) && ReferenceEquals(slot.Waiter, waiter))
            {
                slot.Waiter = null;
                if (slot.Count == 0) slots.Remove(key);
            }
            else if (waiter.Task.IsCompletedSuccessfully && AbortReason(key.Tag) is null)
            {
                // The tensor arrived as the receive was cancelled: keep it for the next receive.
                var again = new Slot();
                foreach (var chunk in waiter.Task.Result.Chunks) again.Add(chunk);
                slots[key] = again;
                consumed.Remove(key);
            }
        }
    }

    private Exception? AbortReason(string tag)
    {
        foreach (var (_, matches, reason) in aborted)
        {
            if (matches(tag)) return reason;
        }
        return null;
    }

    private static ReceivedTensor Decode(Arrival arrival)
    {
        var pieces = arrival.Chunks;
        var tensor = TensorChunkCodec.DecodeFlat([.. pieces.Select(p => p.Chunk)], pieces[0].Shape);
        return new ReceivedTensor(tensor, arrival.First, arrival.Completed, pieces.Sum(p => (long)p.Chunk.Data.Length));
    }

    /// <summary>Throws unless <paramref name="piece"/> belongs to the same tensor as <paramref name="first"/>.</summary>
    internal static void CheckSameTensor(RingMessage first, RingMessage piece)
    {
        if (piece.Tag != first.Tag || piece.From != first.From || piece.Count != first.Count || piece.Chunk.Type != first.Chunk.Type || !piece.Shape.AsSpan().SequenceEqual(first.Shape))
            throw new ArgumentException($"chunk {piece.Index} of tag '{piece.Tag}' from shard {piece.From} disagrees with chunk {first.Index} (count, shape or element type differ).");
        if (piece.Chunk.Data.Length % TensorChunkRules.ElementSize(piece.Chunk.Type) != 0)
            throw new ArgumentException($"chunk {piece.Index} of tag '{piece.Tag}' holds {piece.Chunk.Data.Length} bytes, not a whole number of {piece.Chunk.Type} elements.");
    }

    private static InvalidOperationException Duplicate((int From, string Tag) key) =>
        new($"tag '{key.Tag}' from shard {key.From} was delivered twice.");

    private static RingAbortedException Aborted((int From, string Tag) key, Exception reason) =>
        new($"receive of tag '{key.Tag}' from shard {key.From} was aborted: {reason.Message}", reason);

    /// <summary>A whole tensor's pieces and when its first and last piece arrived.</summary>
    private sealed record Arrival(RingMessage[] Chunks, long First, long Completed);

    /// <summary>The chunks of one (sender, tag) so far, and its receiver if one waits.</summary>
    private sealed class Slot
    {
        private RingMessage?[]? chunks;
        private RingMessage? first;
        private long firstArrival;
        private long completed;

        public TaskCompletionSource<Arrival>? Waiter { get; set; }

        public int Count { get; private set; }

        public bool Complete => chunks is not null && Count == chunks.Length;

        public void Add(RingMessage message)
        {
            chunks ??= new RingMessage?[message.Count];
            if (first is not null) CheckSameTensor(first, message);
            var now = Stopwatch.GetTimestamp();
            if (first is null) firstArrival = now;
            first ??= message;
            if (chunks[message.Index] is not null)
                throw new InvalidOperationException($"chunk {message.Index} of tag '{message.Tag}' from shard {message.From} was delivered twice.");
            chunks[message.Index] = message;
            Count++;
            if (Complete) completed = now;
        }

        public Arrival Take() => new(chunks!.Select(c => c!).ToArray(), firstArrival, completed);
    }
}
