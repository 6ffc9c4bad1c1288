using static TorchSharp.torch;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// Owns tensors that live across awaits (where no dispose scope may be held) and disposes
/// them together.
/// </summary>
internal sealed class TensorBag : IDisposable
{
    private readonly List<IDisposable> items = [];

    public Tensor Add(Tensor tensor)
    {
        lock (items) items.Add(tensor);
        return tensor;
    }

    public T Add<T>(T item) where T : IDisposable
    {
        lock (items) items.Add(item);
        return item;
    }

    public void Dispose()
    {
        lock (items)
        {
            foreach (var item in items) item.Dispose();
            items.Clear();
        }
    }
}

/// <summary>Device moves that always hand back a tensor the caller owns.</summary>
internal static class DeviceMoves
{
    public static bool SameDevice(Tensor t, Device device) =>
        t.device_type == device.type && (t.device_type == TorchSharp.DeviceType.CPU || t.device_index == device.index);

    /// <summary><paramref name="t"/> on <paramref name="device"/>; <paramref name="t"/> itself is consumed.</summary>
    public static Tensor Take(Tensor t, Device device)
    {
        if (SameDevice(t, device)) return t;
        using (t) return t.to(device);
    }

    /// <summary>A new handle of <paramref name="t"/> on <paramref name="device"/>; <paramref name="t"/> stays the caller's.</summary>
    public static Tensor View(Tensor t, Device device) => SameDevice(t, device) ? t.alias() : t.to(device);
}
