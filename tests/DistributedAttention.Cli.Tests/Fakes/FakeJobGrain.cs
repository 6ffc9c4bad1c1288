using System.Diagnostics;
using System.Runtime.CompilerServices;
using DistributedAttention.Abstractions;
using DistributedAttention.Core.Attention;
using DistributedAttention.Model;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Tests.Fakes;

/// <summary>A job computed on one device once started; see <see cref="SingleDeviceCluster"/>.</summary>
internal sealed class FakeJobGrain(string id, SingleDeviceCluster cluster) : IJobGrain
{
    private readonly object gate = new();
    private readonly Stopwatch clock = new();
    private JobPlan? plan;
    private JobOptions options = new(1);
    private TransformerOptions? model;
    private AttentionSpec? spec;
    private int[] tokens = [];
    private long tokensReceived;
    private readonly Dictionary<string, Tensor> inputs = [];
    private readonly Dictionary<string, long> rowsReceived = [];
    private readonly Dictionary<string, Tensor?> outputs = [];
    private JobState state = JobState.Created;
    private string? error;

    /// <summary>Largest chunk the client uploaded (token bytes or tensor bytes).</summary>
    public long LargestUpload { get; private set; }

    /// <summary>Number of upload calls.</summary>
    public int Uploads { get; private set; }

    /// <summary>True once the client cancelled the job.</summary>
    public bool CancelRequested { get; private set; }

    public Task<JobPlan> CreateModelJobAsync(ModelJobRequest request)
    {
        model = TransformerOptions.FromJson(request.ModelOptionsJson);
        tokens = new int[request.Tokens];
        return Task.FromResult(Plan(JobKind.Model, request.Tokens, model.Layers, request.Options));
    }

    public Task AppendTokensAsync(long offset, byte[] tokenIds)
    {
        lock (gate)
        {
            if (offset != tokensReceived) throw new ArgumentException($"tokens appended at {offset}, expected {tokensReceived}.");
            if (tokenIds.Length % sizeof(int) != 0 || offset + tokenIds.Length / sizeof(int) > tokens.Length) throw new ArgumentException("bad token upload.");
            Buffer.BlockCopy(tokenIds, 0, tokens, (int)offset * sizeof(int), tokenIds.Length);
            tokensReceived += tokenIds.Length / sizeof(int);
            Track(tokenIds.Length);
        }
        return Task.CompletedTask;
    }

    public Task<JobPlan> CreateAttentionJobAsync(AttentionJobRequest request)
    {
        spec = AttentionSpec.FromJson(request.SpecJson);
        var (b, h, n) = (request.Batch, request.Heads, request.Length);
        inputs["q"] = zeros(b, h, n, request.HeadDim);
        inputs["k"] = zeros(b, h, n, request.HeadDim);
        inputs["v"] = zeros(b, h, n, request.ValueDim);
        return Task.FromResult(Plan(JobKind.Attention, n, 1, request.Options));
    }

    /// <summary>A shard grain received <paramref name="chunk"/>.</summary>
    public void LoadShardInput(int shard, TensorChunk chunk)
    {
        lock (gate)
        {
            var bounds = plan!.Bounds;
            var rows = chunk.Shape[chunk.SequenceDim];
            if (chunk.SequenceDim != 2 || chunk.RowStart < bounds[shard] || chunk.RowStart + rows > bounds[shard + 1])
            {
                throw new ArgumentException($"chunk of '{chunk.Name}' rows [{chunk.RowStart}, {chunk.RowStart + rows}) sent to shard {shard} [{bounds[shard]}, {bounds[shard + 1]}).");
            }
            if (chunk.Data.Length > options.ChunkBytes) throw new ArgumentException($"chunk of {chunk.Data.Length} bytes exceeds {options.ChunkBytes}.");
            using var source = empty(chunk.Shape, dtype: ScalarType.Float32);
            chunk.Data.CopyTo(source.bytes);
            using var target = inputs[chunk.Name].narrow(2, chunk.RowStart, rows);
            target.copy_(source);
            rowsReceived[chunk.Name] = rowsReceived.GetValueOrDefault(chunk.Name) + rows;
            Track(chunk.Data.Length);
        }
    }

    public Task StartAsync()
    {
        lock (gate)
        {
            state = JobState.Running;
            clock.Start();
        }
        _ = Task.Run(Compute);
        return Task.CompletedTask;
    }

    public Task<JobStatus> GetStatusAsync()
    {
        lock (gate)
        {
            var layers = plan!.Layers;
            var done = state == JobState.Completed ? layers : 0;
            var shards = plan.Shards.Select(s => new ShardProgress(s.Shard, s.Silo, s.Device, done)).ToArray();
            Dictionary<string, long> bytes = new() { ["halo"] = 1000L * layers, ["allgather"] = 10L * layers };
            var perLayer = Enumerable.Repeat(1010L, layers).ToArray();
            PhaseTiming[] phases = [new("load", 0.01), .. Enumerable.Range(0, layers).Select(l => new PhaseTiming($"layer {l}", 0.02))];
            return Task.FromResult(new JobStatus(id, plan.Kind, state, layers, shards, [], phases, bytes, perLayer, error, clock.Elapsed.TotalSeconds));
        }
    }

    public Task CancelAsync()
    {
        lock (gate)
        {
            CancelRequested = true;
            if (state is JobState.Created or JobState.Running) state = JobState.Cancelled;
        }
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<TensorChunk> ReadOutputAsync(string name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (state != JobState.Completed) throw new InvalidOperationException("the job has not completed.");
        if (outputs.GetValueOrDefault(name) is not { } output) yield break;
        var dim = name == "hidden" ? 0 : 2;
        for (long row = 0; row < output.shape[dim]; row += cluster.OutputRowsPerChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            using var block = output.narrow(dim, row, Math.Min(cluster.OutputRowsPerChunk, output.shape[dim] - row)).contiguous();
            yield return new TensorChunk(name, dim, row, block.shape, block.bytes.ToArray());
        }
    }

    private JobPlan Plan(JobKind kind, long length, int layers, JobOptions requested)
    {
        options = requested;
        var bounds = new long[requested.Shards + 1];
        for (var p = 0; p <= requested.Shards; p++) bounds[p] = length * p / requested.Shards;
        var shards = Enumerable.Range(0, requested.Shards).Select(p => new ShardPlacement(p, bounds[p], bounds[p + 1], $"silo-{p % 2}", "cpu")).ToArray();
        plan = new JobPlan(id, kind, bounds, layers, shards);
        return plan;
    }

    private void Track(long bytes)
    {
        Uploads++;
        LargestUpload = Math.Max(LargestUpload, bytes);
    }

    private void Compute()
    {
        try
        {
            if (cluster.FailWith is { } failure) throw new InvalidOperationException(failure);
            if (model is not null)
            {
                if (tokensReceived != tokens.Length) throw new InvalidOperationException($"{tokensReceived} of {tokens.Length} tokens arrived.");
                using var net = new TransformerModel(model);
                using var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]);
                using var hidden = net.forward(ids);
                outputs["hidden"] = hidden[0].clone();
            }
            else
            {
                foreach (var name in new[] { "q", "k", "v" })
                {
                    if (rowsReceived.GetValueOrDefault(name) != inputs[name].shape[2]) throw new InvalidOperationException($"input '{name}' is incomplete.");
                }
                var result = Attention.Forward(spec!, inputs["q"], inputs["k"], inputs["v"]);
                outputs["o"] = result.Output;
                outputs["lse"] = result.Lse;
            }
            lock (gate) state = state == JobState.Cancelled ? state : JobState.Completed;
        }
        catch (Exception e)
        {
            lock (gate)
            {
                error = e.Message;
                state = JobState.Failed;
            }
        }
    }
}
