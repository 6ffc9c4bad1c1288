using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using Orleans.Concurrency;

namespace DistributedAttention.Grains.Tests.TestGrains;

/// <summary>Where a test shard runs.</summary>
[GenerateSerializer, Immutable, Alias("test.RingTestPlacement")]
public sealed record RingTestPlacement(string Silo, int Slot, string Device, string RuntimeIdentity);

/// <summary>A tensor as plain values, for test assertions.</summary>
[GenerateSerializer, Immutable, Alias("test.TestTensor")]
public sealed record TestTensor(long[] Shape, float[] Values);

/// <summary>A stand-in shard (key "job/shard") that moves tensors with the real mailbox and transport.</summary>
public interface IRingTestGrain : IGrainWithStringKey
{
    /// <summary>Sets the ring size and wire format.</summary>
    Task InitAsync(int shards, WireDType wire, int chunkBytes);

    /// <summary>Where this shard runs.</summary>
    Task<RingTestPlacement> WhereAsync();

    /// <summary>Sends a tensor to shard <paramref name="to"/>.</summary>
    Task SendToAsync(int to, string tag, TestTensor tensor);

    /// <summary>Receives the tensor shard <paramref name="from"/> sent under <paramref name="tag"/>.</summary>
    Task<TestTensor> ReceiveAsync(int from, string tag);

    /// <summary>Bytes sent by collective.</summary>
    Task<Dictionary<string, long>> TrafficAsync();

    /// <summary>A chunk from another shard.</summary>
    [AlwaysInterleave]
    Task DeliverAsync(RingMessage message);
}
