using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Silo;

namespace DistributedAttention.Grains.Tests;

/// <summary>Three silos in this process, talking over localhost TCP, for whole jobs.</summary>
public sealed class JobCluster : IAsyncLifetime
{
    public LocalCluster Cluster { get; } = new();

    public JobClient Jobs => new(Cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

    public Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        return Cluster.StartAsync(3, ["cpu", "cpu", "cpu"]);
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>Collects a model job's hidden states in memory.</summary>
internal sealed class MemorySink : IModelOutputSink
{
    private float[] data = [];
    private int dim;

    public float[] Data => data;

    public ValueTask BeginAsync(long rows, int modelDim, CancellationToken cancellationToken)
    {
        (data, dim) = (new float[rows * modelDim], modelDim);
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(long rowStart, long rows, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.Span).CopyTo(data.AsSpan((int)(rowStart * dim)));
        return ValueTask.CompletedTask;
    }

    public ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
