using System.Collections.Concurrent;
using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Jobs;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Xunit.Abstractions;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// No tensor passes through the coordinator: every call into or out of the job grain is measured
/// (its arguments and result, serialized), for a job of 2²⁰ tokens and one of 2¹⁰. The largest
/// message, the total and the persisted record stay small and do not grow with the sequence,
/// while the shards receive the megabytes of token ids straight from the client.
/// </summary>
public sealed class CoordinatorFootprintTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_coordinator_of_a_million_token_job_sees_kilobytes_and_never_a_tensor()
    {
        TorchRuntime.EnsureLoaded();
        var traffic = new CoordinatorTraffic();
        await using var cluster = new LocalCluster();
        await cluster.StartAsync(3, ["cpu"], silo =>
        {
            silo.Services.AddSingleton(traffic);
            silo.AddIncomingGrainCallFilter<CoordinatorTrafficFilter>();
            silo.AddOutgoingGrainCallFilter<CoordinatorTrafficFilter>();
        });
        var jobs = new JobClient(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(100) });
        var store = InProcessGrainStorage.For(cluster.SiloOptions[0].ServiceId, cluster.ClusterId);

        var small = await RunAsync(jobs, 1 << 10);
        var recordSmall = store.Bytes;
        var large = await RunAsync(jobs, 1 << 20);
        var recordLarge = store.Bytes - recordSmall;

        var (smallJob, largeJob) = (traffic.Of(small), traffic.Of(large));
        output.WriteLine($"2^10 tokens: {smallJob}; record {recordSmall} B");
        output.WriteLine($"2^20 tokens: {largeJob}; record {recordLarge} B; uploaded to shards {traffic.Uploaded(large):N0} B");
        // 4 MiB of token ids went to the shards, none through the coordinator.
        Assert.Equal(4L << 20, traffic.Uploaded(large));
        Assert.True(largeJob.Largest < 16 << 10, $"the largest message of the coordinator was {largeJob.Largest} bytes.");
        Assert.True(largeJob.Total < 1 << 20, $"the coordinator moved {largeJob.Total} bytes in all.");
        Assert.True(recordLarge < 16 << 10, $"the coordinator's record is {recordLarge} bytes.");
        // 1024 times the tokens, about the same coordinator: what grows is the number of polls, not their size.
        Assert.True(largeJob.Largest < 2 * smallJob.Largest + 1024, $"the largest message grew from {smallJob.Largest} to {largeJob.Largest} bytes.");
        Assert.True(recordLarge < 2 * recordSmall + 1024, $"the record grew from {recordSmall} to {recordLarge} bytes.");
    }

    private static async Task<string> RunAsync(JobClient jobs, int tokens)
    {
        var model = new TransformerOptions
        {
            VocabSize = 50, ModelDim = 8, Heads = 2, Layers = 1, FeedForwardDim = 16, Seed = 9,
            LayerAttention = [new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 8, WindowRight = 8, GlobalPositions = [0] }],
        };
        var ids = Enumerable.Range(0, tokens).Select(i => i * 31 % 50).ToArray();
        var sink = new InMemoryHiddenStates();
        var result = await jobs.RunModelAsync(model, ids, new JobOptions(3), sink, null, default).WaitAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(tokens, result.Rows);
        Assert.Equal(tokens * 8, sink.Data.Length);
        return result.Plan.JobId;
    }

    /// <summary>Bytes into and out of each job's coordinator, and bytes uploaded to its shards.</summary>
    private sealed class CoordinatorTraffic
    {
        private readonly ConcurrentDictionary<string, (long Largest, long Total, int Calls)> coordinator = new();
        private readonly ConcurrentDictionary<string, long> uploads = new();

        public void Coordinator(string job, long bytes) =>
            coordinator.AddOrUpdate(job, (bytes, bytes, 1), (_, t) => (Math.Max(t.Largest, bytes), t.Total + bytes, t.Calls + 1));

        public void Upload(string job, long bytes) => uploads.AddOrUpdate(job, bytes, (_, b) => b + bytes);

        public (long Largest, long Total, int Calls) Of(string job) => coordinator[job];

        public long Uploaded(string job) => uploads.GetValueOrDefault(job);
    }

    /// <summary>Serializes what crosses the job grain's boundary to measure it, and counts shard uploads.</summary>
    private sealed class CoordinatorTrafficFilter(CoordinatorTraffic traffic, Serializer serializer) : IIncomingGrainCallFilter, IOutgoingGrainCallFilter
    {
        public async Task Invoke(IIncomingGrainCallContext context)
        {
            await context.Invoke();
            if (context.TargetContext.GrainInstance is JobGrain) traffic.Coordinator(context.TargetId.Key.ToString()!, Size(context));
            if (context.Request.GetArgumentCount() > 0 && context.Request.GetArgument(0) is TensorChunk chunk && context.InterfaceMethod.Name == nameof(IShardData.LoadInputAsync))
            {
                var key = context.TargetId.Key.ToString()!;
                traffic.Upload(key[..key.LastIndexOf('/')], chunk.Data.LongLength);
            }
        }

        public async Task Invoke(IOutgoingGrainCallContext context)
        {
            await context.Invoke();
            if (context.SourceContext?.GrainInstance is JobGrain && context.SourceId is { } source) traffic.Coordinator(source.Key.ToString()!, Size(context));
        }

        private long Size(IGrainCallContext context)
        {
            long bytes = serializer.SerializeToArray<object?>(context.Result).LongLength;
            for (var i = 0; i < context.Request.GetArgumentCount(); i++)
            {
                if (context.Request.GetArgument(i) is not CancellationToken) bytes += serializer.SerializeToArray(context.Request.GetArgument(i)).LongLength;
            }
            return bytes;
        }
    }
}
