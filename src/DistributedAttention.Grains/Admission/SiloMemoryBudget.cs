using System.Globalization;

namespace DistributedAttention.Grains.Admission;

/// <summary>
/// A silo's memory budget for job tensors, published as silo metadata (key <see cref="MetadataKey"/>)
/// so the admission ledger, wherever it runs, knows every silo's budget.
/// </summary>
public static class SiloMemoryBudget
{
    /// <summary>Silo metadata key of the budget, in bytes.</summary>
    public const string MetadataKey = "distattn.memory-budget";

    /// <summary>No budget: anything fits.</summary>
    public const long Unlimited = long.MaxValue;

    /// <summary>Share of the memory available to the process that its silos' budgets take by default.</summary>
    public const double DefaultShare = 0.7;

    /// <summary>
    /// The default budget of one of <paramref name="silosInProcess"/> silos sharing a process:
    /// <see cref="DefaultShare"/> of the memory the process may use (the container's limit
    /// where there is one), split evenly; <see cref="Unlimited"/> when that is unknown.
    /// </summary>
    public static long Default(int silosInProcess = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(silosInProcess, 1);
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return available > 0 ? (long)(available * DefaultShare / silosInProcess) : Unlimited;
    }

    /// <summary>The metadata value of <paramref name="bytes"/>.</summary>
    public static string Format(long bytes) => bytes.ToString(CultureInfo.InvariantCulture);

    /// <summary>A budget from its metadata value; <see cref="Unlimited"/> when absent or unreadable (a silo of another build).</summary>
    public static long Parse(string? value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) && bytes > 0 ? bytes : Unlimited;
}
