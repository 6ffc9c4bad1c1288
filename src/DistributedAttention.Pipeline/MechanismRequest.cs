using DistributedAttention.Contracts;

namespace DistributedAttention.Pipeline;

/// <summary>
/// An attention mechanism as a user asks for it, by name and plain values (command-line flags or
/// HTTP query parameters with the same names), turned into a checked <see cref="AttentionSpec"/>.
/// The settable values are <see cref="MechanismRegistry.Parameters"/>; what is not given keeps the
/// spec's default.
/// </summary>
public sealed record MechanismRequest
{
    /// <summary>A name of <see cref="MechanismRegistry.Names"/>; null for the caller's default.</summary>
    public string? Mechanism { get; init; }

    /// <summary>Keys visible left and right of a query, "L,R" or one number; "inf" unbounded; null for the default.</summary>
    public string? Window { get; init; }

    /// <summary>The values given, by parameter name ("block-size" → "32"), written as <see cref="MechanismParameter.Apply"/> reads them.</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();

    /// <summary>The checked spec.</summary>
    /// <param name="defaultKind">The mechanism when none is named.</param>
    /// <param name="defaultWindow">The window when none is given.</param>
    /// <param name="globalPositions">Global positions (windowed mechanisms).</param>
    /// <param name="prefix">How option names are written in messages ("--" on the command line, "" for query parameters).</param>
    /// <exception cref="ArgumentException">A value is invalid, or names no parameter; the message names the option.</exception>
    public AttentionSpec Build(AttentionKind defaultKind, int defaultWindow, IReadOnlyList<long> globalPositions, string prefix = "--")
    {
        ArgumentNullException.ThrowIfNull(globalPositions);
        var kind = Mechanism is { } name ? MechanismRegistry.Parse(name, prefix + "mechanism") : defaultKind;
        var mechanism = MechanismRegistry.For(kind);
        var (left, right) = Window is null ? (defaultWindow, defaultWindow) : ValueParsers.Window(Window, prefix + "window");
        if (kind == AttentionKind.Full)
        {
            if (Window is not null) throw new ArgumentException($"{prefix}window does not apply to {prefix}mechanism full (it attends to every key); use {prefix}mechanism window.");
            (left, right) = (null, null);
        }
        if (globalPositions.Count > 0 && !mechanism.Windowed)
            throw new ArgumentException($"{prefix}global-positions apply to {prefix}mechanism {MechanismRegistry.WindowedNames} only; {mechanism.Name} attention has no global tokens.");
        var spec = new AttentionSpec { Kind = kind, WindowLeft = left, WindowRight = right, GlobalPositions = globalPositions };
        foreach (var (parameterName, text) in Values)
        {
            var parameter = MechanismRegistry.Parameters.FirstOrDefault(p => string.Equals(p.Name, parameterName, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"{prefix}{parameterName} is not a mechanism parameter; they are {string.Join(", ", MechanismRegistry.Parameters.Select(p => prefix + p.Name))}.");
            spec = parameter.Apply(spec, text, prefix + parameter.Name);
        }
        try
        {
            spec.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"invalid {mechanism.Name} attention: {e.Message}", e);
        }
        return spec;
    }
}
