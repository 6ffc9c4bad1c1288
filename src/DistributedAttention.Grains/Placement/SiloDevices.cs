namespace DistributedAttention.Grains.Placement;

/// <summary>
/// How a silo publishes its device slots: silo metadata key <see cref="MetadataKey"/> holding a
/// comma-separated list of device names ("cpu,cpu", "cuda:0,cuda:1").
/// </summary>
public static class SiloDevices
{
    /// <summary>The silo metadata key.</summary>
    public const string MetadataKey = "distattn.devices";

    /// <summary>The one slot of a silo that publishes none.</summary>
    public const string DefaultDevice = "cpu";

    /// <summary>Normalizes a device name: trimmed, lower case, "cuda" meaning "cuda:0".</summary>
    /// <exception cref="ArgumentException">The name is empty or contains ','.</exception>
    public static string Normalize(string device)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        var name = device.Trim().ToLowerInvariant();
        if (name.Contains(',', StringComparison.Ordinal)) throw new ArgumentException($"device name '{device}' must not contain ','.", nameof(device));
        return name == "cuda" ? "cuda:0" : name;
    }

    /// <summary>Formats slots for the metadata value.</summary>
    public static string Format(IEnumerable<string> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        return string.Join(',', devices.Select(Normalize));
    }

    /// <summary>Parses a metadata value; null or blank means one "cpu" slot.</summary>
    public static IReadOnlyList<string> Parse(string? value) =>
        string.IsNullOrWhiteSpace(value)
            ? [DefaultDevice]
            : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Normalize).ToArray();
}
