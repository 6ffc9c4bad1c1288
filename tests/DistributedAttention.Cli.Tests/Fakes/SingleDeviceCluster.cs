using System.Collections.Concurrent;
using DistributedAttention.Abstractions;
using Orleans.Runtime;

namespace DistributedAttention.Cli.Tests.Fakes;

/// <summary>
/// A stand-in for the cluster (the grains are written on another branch): job and shard grains
/// that collect the uploaded inputs, compute the whole job on one device with Core and Model,
/// and stream the output back in chunks. It checks what the client sends (chunk sizes, shard
/// ranges, token offsets), so client and CLI tests run end to end without silos.
/// </summary>
internal sealed class SingleDeviceCluster : IGrainFactory
{
    private readonly ConcurrentDictionary<string, FakeJobGrain> jobs = new();

    /// <summary>When set, every job fails with this error after starting.</summary>
    public string? FailWith { get; set; }

    /// <summary>Rows per output chunk the jobs stream (small, so tests see many chunks).</summary>
    public int OutputRowsPerChunk { get; set; } = 37;

    /// <summary>Every job created so far.</summary>
    public IReadOnlyCollection<FakeJobGrain> Jobs => [.. jobs.Values];

    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithStringKey
    {
        if (typeof(TGrainInterface) == typeof(IJobGrain)) return (TGrainInterface)(object)jobs.GetOrAdd(primaryKey, id => new FakeJobGrain(id, this));
        if (typeof(TGrainInterface) == typeof(IShardGrain))
        {
            var slash = primaryKey.LastIndexOf('/');
            var job = jobs.TryGetValue(primaryKey[..slash], out var found) ? found : throw new InvalidOperationException($"shard key '{primaryKey}' names no job.");
            return (TGrainInterface)(object)new FakeShardGrain(job, int.Parse(primaryKey[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }
        throw new NotSupportedException(typeof(TGrainInterface).Name);
    }

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidKey => throw new NotSupportedException();

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerKey => throw new NotSupportedException();

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidCompoundKey => throw new NotSupportedException();

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerCompoundKey => throw new NotSupportedException();

    public TGrainObserverInterface CreateObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver => throw new NotSupportedException();

    public void DeleteObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver => throw new NotSupportedException();

    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey) => throw new NotSupportedException();

    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey) => throw new NotSupportedException();

    public IGrain GetGrain(Type grainInterfaceType, string grainPrimaryKey) => throw new NotSupportedException();

    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey, string keyExtension) => throw new NotSupportedException();

    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey, string keyExtension) => throw new NotSupportedException();

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable => throw new NotSupportedException();

    public IAddressable GetGrain(GrainId grainId) => throw new NotSupportedException();

    public IAddressable GetGrain(GrainId grainId, GrainInterfaceType interfaceType) => throw new NotSupportedException();

    public IAddressable GetGrain(Type grainInterfaceType, IdSpan grainPrimaryKey, string grainClassNamePrefix) => throw new NotSupportedException();

    public IAddressable GetGrain(Type grainInterfaceType, IdSpan grainPrimaryKey) => throw new NotSupportedException();
}
