using System.Globalization;
using System.Text.Json;

namespace DistributedAttention.Checkpoints;

/// <summary>Typed reads of a config.json object, each failure an <see cref="InvalidDataException"/> naming the file and field.</summary>
internal sealed class ConfigFields(JsonElement root, string source)
{
    public JsonElement Root => root;

    public string Source => source;

    public bool Has(string name) => root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public InvalidDataException Error(string name, string problem) => new($"{source}: field '{name}' {problem}.");

    public string? String(string name)
    {
        if (!Has(name)) return null;
        var value = root.GetProperty(name);
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Error(name, $"must be a string, not {Show(value)}");
    }

    public int Int(string name, int? fallback = null, int min = 1)
    {
        if (!Has(name)) return fallback ?? throw Error(name, "is missing");
        var value = root.GetProperty(name);
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n)) throw Error(name, $"must be an integer, not {Show(value)}");
        if (n < min) throw Error(name, $"must be >= {min}, not {n}");
        return n;
    }

    public int? OptionalInt(string name, int min = 1) => Has(name) ? Int(name, min: min) : null;

    public double Number(string name, double? fallback = null)
    {
        if (!Has(name)) return fallback ?? throw Error(name, "is missing");
        var value = root.GetProperty(name);
        if (value.ValueKind != JsonValueKind.Number || !double.IsFinite(value.GetDouble())) throw Error(name, $"must be a finite number, not {Show(value)}");
        return value.GetDouble();
    }

    public double Positive(string name, double? fallback = null)
    {
        var x = Number(name, fallback);
        return x > 0 ? x : throw Error(name, $"must be > 0, not {x.ToString(CultureInfo.InvariantCulture)}");
    }

    public double? OptionalPositive(string name) => Has(name) ? Positive(name) : null;

    public bool Bool(string name, bool fallback)
    {
        if (!Has(name)) return fallback;
        var value = root.GetProperty(name);
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(name, $"must be true or false, not {Show(value)}"),
        };
    }

    public ConfigFields? Object(string name)
    {
        if (!Has(name)) return null;
        var value = root.GetProperty(name);
        return value.ValueKind == JsonValueKind.Object ? new ConfigFields(value, $"{source} ({name})") : throw Error(name, $"must be an object, not {Show(value)}");
    }

    public IReadOnlyList<string>? Strings(string name)
    {
        if (!Has(name)) return null;
        var value = root.GetProperty(name);
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            throw Error(name, $"must be a list of strings, not {Show(value)}");
        return [.. value.EnumerateArray().Select(e => e.GetString()!)];
    }

    private static string Show(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length <= 40 ? text : text[..40] + "…";
    }
}
