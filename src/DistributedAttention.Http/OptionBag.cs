using System.Globalization;
using System.Text.Json;

namespace DistributedAttention.Http;

/// <summary>
/// A request's options by name (query parameters, and for multipart uploads an "options" JSON
/// object), read as typed values with errors that name the option; names nobody read are
/// refused, so a typo never silently falls back to a default.
/// </summary>
public sealed class OptionBag
{
    private readonly Dictionary<string, string> values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> read = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds <paramref name="name"/> = <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">The option was given twice.</exception>
    public void Add(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!values.TryAdd(name, value)) throw new ArgumentException($"option '{name}' is given more than once.");
    }

    /// <summary>Adds every member of a JSON object (numbers, strings, booleans).</summary>
    /// <exception cref="ArgumentException">The text is not a JSON object of plain values.</exception>
    public void AddJson(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"options are not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new ArgumentException("options must be a JSON object such as {\"layers\": 2}.");
            foreach (var member in document.RootElement.EnumerateObject())
            {
                var value = member.Value.ValueKind switch
                {
                    JsonValueKind.String => member.Value.GetString()!,
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => member.Value.GetRawText(),
                    _ => throw new ArgumentException($"option '{member.Name}' must be a number, string or boolean."),
                };
                Add(member.Name, value);
            }
        }
    }

    /// <summary>The text of <paramref name="name"/>, or null.</summary>
    public string? Text(string name)
    {
        read.Add(name);
        return values.TryGetValue(name, out var value) ? value : null;
    }

    /// <summary>An integer option, or null when absent.</summary>
    public int? Int(string name)
    {
        if (Text(name) is not { } text) return null;
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"option '{name}' must be an integer (got '{text}').");
    }

    /// <summary>An unsigned 64-bit option, or null when absent.</summary>
    public ulong? UInt64(string name)
    {
        if (Text(name) is not { } text) return null;
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"option '{name}' must be a non-negative integer (got '{text}').");
    }

    /// <summary>A number option, or null when absent.</summary>
    public double? Double(string name)
    {
        if (Text(name) is not { } text) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw new ArgumentException($"option '{name}' must be a finite number (got '{text}').");
    }

    /// <summary>A boolean option (true/false, 1/0, or present with no value), or null when absent.</summary>
    public bool? Bool(string name)
    {
        if (Text(name) is not { } text) return null;
        return text.ToLowerInvariant() switch
        {
            "" or "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw new ArgumentException($"option '{name}' must be true or false (got '{text}')."),
        };
    }

    /// <summary>Which of <paramref name="names"/> were given, in that order.</summary>
    public IReadOnlyList<string> Given(IEnumerable<string> names) => [.. names.Where(values.ContainsKey)];

    /// <summary>Throws when an option was given that nothing read.</summary>
    /// <exception cref="ArgumentException">Names the unknown options.</exception>
    public void RejectUnknown()
    {
        var unknown = values.Keys.Where(k => !read.Contains(k)).Order(StringComparer.Ordinal).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"unknown option{(unknown.Length == 1 ? "" : "s")}: {string.Join(", ", unknown.Select(u => $"'{u}'"))}.");
    }
}
