using System.Collections.Concurrent;
using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// A grain call filter on every silo of the test cluster: it records what clients send to the
/// real job and shard grains (upload sizes, cancel and release calls), and can make a shard's
/// layer call fail, as a shard that runs out of memory would.
/// </summary>
public sealed class ClusterProbe : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, JobRecord> jobs = new();
    private volatile Failure? failure;

    /// <summary>Jobs that received any call since <see cref="Reset"/>, by job id.</summary>
    public IReadOnlyDictionary<string, JobRecord> Jobs => jobs;

    /// <summary>Forgets recorded jobs and disarms failures.</summary>
    public void Reset()
    {
        jobs.Clear();
        failure = null;
    }

    /// <summary>From now on, <paramref name="shard"/>'s layer calls fail with <paramref name="message"/>.</summary>
    public void FailLayers(int shard, string message) => failure = new Failure(shard, message);

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var method = context.InterfaceMethod;
        var key = context.TargetId.Key.ToString()!;
        if (method.DeclaringType == typeof(IJobGrain))
        {
            var job = Job(key);
            switch (method.Name)
            {
                case nameof(IJobGrain.CancelAsync):
                    job.CancelRequested = true;
                    break;
                case nameof(IJobGrain.ReleaseAsync):
                    job.ReleaseRequested = true;
                    break;
            }
        }
        else if (method.DeclaringType == typeof(IShardData) || method.DeclaringType == typeof(IShardControl))
        {
            var slash = key.LastIndexOf('/');
            var (jobId, shard) = (key[..slash], int.Parse(key[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            // Every input (token ids, or q, k and v) comes straight from the client.
            if (method.Name == nameof(IShardData.LoadInputAsync) && context.Request.GetArgument(0) is TensorChunk chunk)
            {
                Job(jobId).Upload(chunk.Data.LongLength);
            }
            if (method.Name == nameof(IShardControl.RunLayerAsync) && failure is { } f && f.Shard == shard)
            {
                throw new InvalidOperationException(f.Message);
            }
        }
        await context.Invoke();
    }

    private JobRecord Job(string id) => jobs.GetOrAdd(id, _ => new JobRecord());

    private sealed record Failure(int Shard, string Message);

    /// <summary>What one job was sent.</summary>
    public sealed class JobRecord
    {
        private long largest;

        /// <summary>Largest single upload in bytes (one chunk of token ids, q, k or v).</summary>
        public long LargestUpload => Interlocked.Read(ref largest);

        /// <summary>True once the job was asked to cancel.</summary>
        public bool CancelRequested { get; set; }

        /// <summary>True once the job was asked to release its tensors.</summary>
        public bool ReleaseRequested { get; set; }

        public void Upload(long bytes)
        {
            long seen;
            while (bytes > (seen = Interlocked.Read(ref largest)) && Interlocked.CompareExchange(ref largest, bytes, seen) != seen)
            {
            }
        }
    }
}
