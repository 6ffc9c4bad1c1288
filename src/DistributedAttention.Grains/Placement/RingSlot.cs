namespace DistributedAttention.Grains.Placement;

/// <summary>One device slot of the cluster: slot <see cref="Slot"/> of silo <see cref="Silo"/>, running on <see cref="Device"/>.</summary>
/// <param name="Silo">The silo.</param>
/// <param name="Slot">The slot's index among that silo's slots.</param>
/// <param name="Device">The slot's device name ("cpu", "cuda:1"…).</param>
public sealed record RingSlot(SiloAddress Silo, int Slot, string Device);
