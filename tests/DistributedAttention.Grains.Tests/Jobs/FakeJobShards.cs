using DistributedAttention.Abstractions;
using DistributedAttention.Grains.Jobs;

namespace DistributedAttention.Grains.Tests.Jobs;

/// <summary>
/// The shards of a job as the coordinator sees them, without a cluster: each shard holds layer
/// inputs and copies of its predecessors' inputs, can be lost (it then answers as a grain that
/// reactivated empty on another silo), and can be made to fail. It follows the shard contract
/// (a layer needs its input, a restore needs a surviving copy, copies go to the next r shards).
/// </summary>
internal sealed class FakeJobShards : IJobShards
{
    private readonly Shard[] shards;
    private readonly int replicas;
    private readonly object gate = new();

    private readonly int layers;

    /// <param name="count">Shards.</param>
    /// <param name="replicas">Copies of each input.</param>
    /// <param name="layers">The job's layers: the last one's output is not copied.</param>
    public FakeJobShards(int count, int replicas, int layers = int.MaxValue)
    {
        this.replicas = Math.Min(replicas, count - 1);
        this.layers = layers;
        shards = [.. Enumerable.Range(0, count).Select(s => new Shard($"silo-{s}"))];
        foreach (var shard in shards)
        {
            shard.Joined = true;
            shard.InputsComplete = true;
        }
    }

    public int Count => shards.Length;

    /// <summary>Every call, in order: "run 1 L2 a3", "abort 0 a3", "restore 1 L2 from 2", "probe 1"…</summary>
    public List<string> Calls { get; } = [];

    /// <summary>Called before a shard runs a layer attempt; may kill shards or throw (a shard failing).</summary>
    public Action<int, int, int>? BeforeRun { get; set; }

    /// <summary>Shard <paramref name="shard"/> is lost with its silo: it forgets its tensors and the copies it kept, and reactivates empty elsewhere.</summary>
    public void Kill(int shard)
    {
        lock (gate)
        {
            var s = shards[shard];
            (s.Joined, s.InputsComplete, s.Silo) = (false, false, s.Silo + "'");
            s.Layers.Clear();
            s.Copies.Clear();
        }
    }

    public bool Holds(int shard, int layer)
    {
        lock (gate) return shards[shard].Joined && shards[shard].Layers.Contains(layer);
    }

    public Task InitializeAsync(int shard)
    {
        lock (gate) shards[shard].Joined = true;
        return Task.CompletedTask;
    }

    public Task<ShardProbe> ProbeAsync(int shard)
    {
        lock (gate)
        {
            Calls.Add($"probe {shard}");
            var s = shards[shard];
            return Task.FromResult(new ShardProbe(s.Joined, s.InputsComplete || s.Layers.Count > 0, s.InputsComplete ? null : "inputs lost", [.. s.Layers], new ShardPlacement(shard, 0, 1, s.Silo, "cpu")));
        }
    }

    public Task<LayerReport> PrepareAsync(int shard)
    {
        lock (gate)
        {
            Calls.Add($"prepare {shard}");
            var s = shards[shard];
            if (!s.Joined) throw new InvalidOperationException($"shard grain {shard} has not joined a job (it may have been lost with its silo).");
            if (!s.InputsComplete && s.Layers.Count == 0) throw new InvalidOperationException($"input 'tokens' of shard {shard} was never uploaded.");
            s.Layers.Add(0);
            PushCopies(shard, 0);
            return Task.FromResult(Report(shard, -1));
        }
    }

    public Task<LayerReport> RunLayerAsync(int shard, int layer, int attempt)
    {
        BeforeRun?.Invoke(shard, layer, attempt);
        lock (gate)
        {
            Calls.Add($"run {shard} L{layer} a{attempt}");
            var s = shards[shard];
            if (!s.Joined) throw new InvalidOperationException($"shard grain {shard} has not joined a job (it may have been lost with its silo).");
            if (attempt <= s.AbortedThrough) throw new OperationCanceledException($"attempt {attempt} was abandoned.");
            if (!s.Layers.Contains(layer)) throw new InvalidOperationException($"shard {shard} does not hold the input of layer {layer}.");
            s.Layers.RemoveWhere(l => l < layer);
            s.Layers.Add(layer + 1);
            if (layer + 1 < layers) PushCopies(shard, layer + 1);
            return Task.FromResult(Report(shard, layer));
        }
    }

    /// <summary>An abort sent to a shard lost with its silo ends as Orleans can end it: in an <see cref="OperationCanceledException"/> (addressing the dead activation was cancelled).</summary>
    public bool AbortOfLostShardIsCancelled { get; set; }

    public Task AbortAsync(int shard, int attempt)
    {
        lock (gate)
        {
            Calls.Add($"abort {shard} a{attempt}");
            if (AbortOfLostShardIsCancelled && !shards[shard].Joined) return Task.FromException(new OperationCanceledException("The operation was canceled."));
            shards[shard].AbortedThrough = Math.Max(shards[shard].AbortedThrough, attempt);
        }
        return Task.CompletedTask;
    }

    public Task RestoreAsync(int shard, int layer, int holder)
    {
        lock (gate)
        {
            Calls.Add($"restore {shard} L{layer} from {holder}");
            if (!shards[holder].Copies.Contains((shard, layer))) throw new InvalidOperationException($"this shard holds no copy of shard {shard}'s input to layer {layer}.");
            var s = shards[shard];
            s.Joined = true;
            s.Layers.Add(layer);
        }
        return Task.CompletedTask;
    }

    public Task<LayerReport> ReplicateAsync(int shard, int layer)
    {
        lock (gate)
        {
            Calls.Add($"replicate {shard} L{layer}");
            if (!shards[shard].Layers.Contains(layer)) throw new InvalidOperationException($"shard {shard} does not hold its input to layer {layer}.");
            PushCopies(shard, layer);
            return Task.FromResult(Report(shard, layer, backup: 10));
        }
    }

    public Task ReleaseAsync(int shard) => Task.CompletedTask;

    private void PushCopies(int owner, int layer)
    {
        for (var k = 1; k <= replicas; k++) shards[(owner + k) % shards.Length].Copies.Add((owner, layer));
    }

    private LayerReport Report(int shard, int layer, long backup = 0) =>
        new(shard, layer, shards[shard].Silo, 0.01, new Dictionary<string, long> { ["halo"] = layer >= 0 ? 100 : 0, ["backup"] = backup });

    private sealed class Shard(string silo)
    {
        public string Silo { get; set; } = silo;

        public bool Joined { get; set; }

        public bool InputsComplete { get; set; }

        public int AbortedThrough { get; set; }

        public SortedSet<int> Layers { get; } = [];

        public HashSet<(int Owner, int Layer)> Copies { get; } = [];
    }
}
