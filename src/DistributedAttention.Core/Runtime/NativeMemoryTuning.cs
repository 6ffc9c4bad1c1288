using System.Runtime.InteropServices;

namespace DistributedAttention.Core.Runtime;

/// <summary>
/// Makes the native allocations of tensor code reuse memory instead of mapping fresh pages.
/// </summary>
/// <remarks>
/// libtorch allocates CPU tensors with glibc's malloc. glibc maps every block above a threshold
/// afresh and unmaps it when freed, and that threshold moves with the allocation history (the
/// same benchmark ran 15× slower in some processes than in others), so a layer's blocks of a few
/// MB and its shard-sized tensors were touched page by page again on every use: on the
/// virtual machines measured a fault costs about 10 µs, and faults were a third of the whole job's
/// CPU time. On Linux with glibc this fixes the threshold at 32 MiB (glibc's maximum; larger blocks
/// are still mapped), keeps up to 512 MiB of freed heap instead of returning it at once, and asks
/// libtorch (<c>THP_MEM_ALLOC_ENABLE</c>) to align blocks of 2 MiB and more for transparent huge
/// pages, so a fault maps 2 MiB. <c>DISTATTN_NATIVE_MEMORY=default</c> leaves both alone; a
/// <c>THP_MEM_ALLOC_ENABLE</c> already set is kept. Applied once, before libtorch's first tensor.
/// </remarks>
public static class NativeMemoryTuning
{
    /// <summary>The variable whose value <c>default</c> turns the tuning off.</summary>
    public const string Variable = "DISTATTN_NATIVE_MEMORY";

    private const int MmapThresholdOption = -3;
    private const int TrimThresholdOption = -1;
    private const int MmapThreshold = 32 << 20;
    private const int TrimThreshold = 512 << 20;

    private static readonly Lazy<string> Outcome = new(ApplyOnce);

    /// <summary>Applies the tuning (once per process) and says what was done.</summary>
    public static string Apply() => Outcome.Value;

    private static string ApplyOnce()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux: left as is";
        if (string.Equals(Environment.GetEnvironmentVariable(Variable), "default", StringComparison.OrdinalIgnoreCase))
            return $"{Variable}=default: left as is";
        try
        {
            var fixedThresholds = mallopt(MmapThresholdOption, MmapThreshold) == 1 & mallopt(TrimThresholdOption, TrimThreshold) == 1;
            // libtorch reads the variable with getenv, which a managed SetEnvironmentVariable does not reach.
            if (getenv("THP_MEM_ALLOC_ENABLE") == IntPtr.Zero) setenv("THP_MEM_ALLOC_ENABLE", "1", 0);
            return fixedThresholds ? "glibc thresholds fixed, huge-page alignment on" : "glibc refused the thresholds; huge-page alignment on";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl): its allocator has no such options.
            return "not glibc: left as is";
        }
    }

    /// <summary>
    /// Returns the freed heap the tuning keeps (up to 512 MiB) to the system, so a measurement of
    /// resident memory that follows starts from what is in use. False where nothing could be done (not glibc).
    /// </summary>
    public static bool ReleaseFreedMemory()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            malloc_trim(UIntPtr.Zero);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc.so.6")]
    private static extern int mallopt(int option, int value);

    [DllImport("libc.so.6")]
    private static extern int malloc_trim(UIntPtr pad);

    [DllImport("libc.so.6", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern IntPtr getenv(string name);

    [DllImport("libc.so.6", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
