namespace DistributedAttention.Experiments;

/// <summary>
/// This process's resident memory from Linux's /proc: the current size and the high-water mark,
/// which writing 5 to /proc/self/clear_refs resets. Elsewhere nothing is measured (null).
/// </summary>
/// <remarks>
/// Freed memory a process keeps (garbage not yet collected, the heap glibc holds back) would be
/// reused by the next measurement without growing the mark, and hide what it needs: the reset
/// collects garbage and hands freed native heap back first.
/// </remarks>
public static class PeakMemory
{
    /// <summary>Frees what the process holds unused, then resets the high-water mark to the current size; false where that is not possible.</summary>
    public static bool Reset()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Core.Runtime.NativeMemoryTuning.ReleaseFreedMemory();
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return false;
        }
    }

    /// <summary>Resident bytes now (VmRSS).</summary>
    public static long? CurrentBytes() => Read("VmRSS:");

    /// <summary>The most resident bytes since start or the last <see cref="Reset"/> (VmHWM).</summary>
    public static long? PeakBytes() => Read("VmHWM:");

    private static long? Read(string key)
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            if (line is null) return null;
            var kb = line[key.Length..].Trim().Split(' ')[0];
            return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
