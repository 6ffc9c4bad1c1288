using static TorchSharp.torch;

namespace DistributedAttention.Core.Runtime;

/// <summary>
/// libtorch's intra-op thread count for work that should use every core of the machine.
/// </summary>
/// <remarks>
/// libtorch keeps the count per calling thread but starts a new thread with the count last set
/// anywhere in the process. Silos that share a process give their compute threads a share of the
/// cores (<see cref="DeviceWorker"/>), so a later thread would inherit that share: work on the
/// caller's own thread (a single-device check, the matmul roof) asks for every core here, and
/// leaves the count as it found it.
/// </remarks>
public static class ComputeThreads
{
    /// <summary>Runs <paramref name="work"/> on this thread with one libtorch thread per core.</summary>
    public static T OnEveryCore<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var before = get_num_threads();
        if (before == Environment.ProcessorCount) return work();
        set_num_threads(Environment.ProcessorCount);
        try
        {
            return work();
        }
        finally
        {
            set_num_threads(before);
        }
    }
}
