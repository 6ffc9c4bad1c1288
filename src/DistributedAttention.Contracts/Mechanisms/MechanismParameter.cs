using System.Globalization;

namespace DistributedAttention.Contracts;

/// <summary>How a mechanism parameter's value is written: the command line's option type and the API's parsing.</summary>
public enum ParameterType
{
    /// <summary>A 32-bit integer.</summary>
    Int32,

    /// <summary>A non-negative 64-bit integer (seeds).</summary>
    UInt64,

    /// <summary>A finite number; unset means the mechanism's own choice.</summary>
    Number,

    /// <summary>On or off (a flag without a value on the command line).</summary>
    Flag,
}

/// <summary>
/// One setting of <see cref="AttentionSpec"/> as users give it: the flag <c>--NAME</c> on the
/// command line and the parameter <c>NAME</c> of the HTTP API. Its default is the spec's own
/// (<see cref="Default"/> reads a new <see cref="AttentionSpec"/>), so it is written once.
/// </summary>
/// <param name="Name">The option's name without dashes ("block-size").</param>
/// <param name="Description">What it sets, one sentence for help texts.</param>
/// <param name="Type">How its value is written.</param>
/// <param name="Read">Its value in a spec (boxed; null when unset).</param>
/// <param name="Write">A spec with it set (the value boxed as <see cref="Type"/> says).</param>
public sealed record MechanismParameter(string Name, string Description, ParameterType Type, Func<AttentionSpec, object?> Read, Func<AttentionSpec, object?, AttentionSpec> Write)
{
    /// <summary>What an unset value means, for help ("1/sqrt(d)").</summary>
    public string Unset { get; init; } = "unset";

    /// <summary>The value of a spec nobody changed.</summary>
    public object? Default => Read(new AttentionSpec());

    /// <summary>The default as help shows it ("64", "off", or what unset means).</summary>
    public string DefaultText => Default switch
    {
        null => Unset,
        bool b => b ? "on" : "off",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString() ?? "",
    };

    /// <summary>An integer parameter.</summary>
    public static MechanismParameter Int(string name, string description, Func<AttentionSpec, int> read, Func<AttentionSpec, int, AttentionSpec> write) =>
        new(name, description, ParameterType.Int32, s => read(s), (s, v) => write(s, (int)v!));

    /// <summary>A non-negative 64-bit integer parameter.</summary>
    public static MechanismParameter UInt64(string name, string description, Func<AttentionSpec, ulong> read, Func<AttentionSpec, ulong, AttentionSpec> write) =>
        new(name, description, ParameterType.UInt64, s => read(s), (s, v) => write(s, (ulong)v!));

    /// <summary>An optional number parameter.</summary>
    public static MechanismParameter Number(string name, string description, Func<AttentionSpec, double?> read, Func<AttentionSpec, double?, AttentionSpec> write, string unset) =>
        new(name, description, ParameterType.Number, s => read(s), (s, v) => write(s, (double?)v)) { Unset = unset };

    /// <summary>An on/off parameter.</summary>
    public static MechanismParameter Flag(string name, string description, Func<AttentionSpec, bool> read, Func<AttentionSpec, bool, AttentionSpec> write) =>
        new(name, description, ParameterType.Flag, s => read(s), (s, v) => write(s, (bool)v!));

    /// <summary><paramref name="spec"/> with this parameter set from <paramref name="text"/> (invariant culture, as the command line and the API read it).</summary>
    /// <param name="spec">The spec to change.</param>
    /// <param name="text">The value as text.</param>
    /// <param name="option">How the option is named in messages ("--block-size", "option 'block-size'").</param>
    /// <exception cref="ArgumentException">The text is not a value of <see cref="Type"/>; the message names the option.</exception>
    public AttentionSpec Apply(AttentionSpec spec, string text, string option)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(text);
        object? value = Type switch
        {
            ParameterType.Int32 => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : throw Invalid("an integer"),
            ParameterType.UInt64 => ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var u) ? u : throw Invalid("a non-negative integer"),
            ParameterType.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : throw Invalid("a finite number"),
            _ => text.ToLowerInvariant() switch
            {
                "" or "true" or "1" or "yes" => true,
                "false" or "0" or "no" => false,
                _ => throw Invalid("true or false"),
            },
        };
        return Write(spec, value);

        ArgumentException Invalid(string what) => new($"{option} must be {what} (got '{text}').");
    }

    /// <summary>A value of <see cref="Type"/> written as <see cref="Apply"/> reads it.</summary>
    public static string Format(object value) => value switch
    {
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
