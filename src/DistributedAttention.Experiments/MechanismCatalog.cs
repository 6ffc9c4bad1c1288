using DistributedAttention.Contracts;

namespace DistributedAttention.Experiments;

/// <summary>
/// One row of the results table: a mechanism at the experiments' settings. <see cref="For"/> gives
/// its spec at a sequence length (causal where the mechanism has a causal form); a mechanism
/// without one names the reason and runs non-causal in the speed columns.
/// </summary>
/// <param name="Name">The row's name.</param>
/// <param name="For">The spec at sequence length n and the window w of the preset.</param>
/// <param name="NoCausalForm">Why the mechanism cannot train a next-token model, or null.</param>
public sealed record MechanismEntry(string Name, Func<long, int, AttentionSpec> For, string? NoCausalForm = null)
{
    /// <summary>Whether <see cref="For"/> is causal.</summary>
    public bool Causal => NoCausalForm is null;
}

/// <summary>The survey's mechanisms, each at settings of comparable reach for a window w: every descriptor's rows (<see cref="MechanismDescriptor.SurveyRows"/>).</summary>
public static class MechanismCatalog
{
    /// <summary>Every row, in the table's order.</summary>
    public static IReadOnlyList<MechanismEntry> All { get; } =
        [.. MechanismRegistry.All.SelectMany(m => m.SurveyRows.Select(row => new MechanismEntry(row.Name, row.For, m.NoCausalForm)))];

    /// <summary>
    /// The rows named in <paramref name="names"/> (case-insensitive), in the table's order.
    /// </summary>
    /// <exception cref="ArgumentException">A name is not a row; the message lists the rows.</exception>
    public static IReadOnlyList<MechanismEntry> Named(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var wanted = names.Select(n => n.Trim()).Where(n => n.Length > 0).ToList();
        var unknown = wanted.Where(n => !All.Any(m => string.Equals(m.Name, n, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"not a mechanism of the table: {string.Join(", ", unknown.Select(n => $"'{n}'"))}; the rows are {string.Join(", ", All.Select(m => $"'{m.Name}'"))}.");
        if (wanted.Count == 0) throw new ArgumentException("no mechanism named.");
        return [.. All.Where(m => wanted.Any(n => string.Equals(m.Name, n, StringComparison.OrdinalIgnoreCase)))];
    }
}
