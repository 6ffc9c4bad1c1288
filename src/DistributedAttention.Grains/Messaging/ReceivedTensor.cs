using static TorchSharp.torch;

namespace DistributedAttention.Grains.Messaging;

/// <summary>A received tensor (the caller owns it) with when its pieces arrived.</summary>
/// <param name="Tensor">The tensor, fp32 on the CPU.</param>
/// <param name="FirstArrival">When its first piece arrived (<see cref="System.Diagnostics.Stopwatch"/> timestamp).</param>
/// <param name="Completed">When its last piece arrived.</param>
/// <param name="WireBytes">Bytes its pieces carried.</param>
public readonly record struct ReceivedTensor(Tensor Tensor, long FirstArrival, long Completed, long WireBytes);
