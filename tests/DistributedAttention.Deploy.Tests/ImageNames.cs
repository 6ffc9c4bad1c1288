namespace DistributedAttention.Deploy.Tests;

/// <summary>
/// deploy/images.env: the image names the build script tags and every deployment runs, read from
/// the one file both use so they cannot drift apart.
/// </summary>
internal sealed class ImageNames
{
    private ImageNames(IReadOnlyDictionary<string, string> values) => Values = values;

    /// <summary>Every KEY=VALUE of the file.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>The CPU build (DISTATTN_IMAGE_CPU).</summary>
    public string Cpu => Get("DISTATTN_IMAGE_CPU");

    /// <summary>The CUDA build (DISTATTN_IMAGE_CUDA).</summary>
    public string Cuda => Get("DISTATTN_IMAGE_CUDA");

    /// <summary>The Aspire dashboard (DISTATTN_IMAGE_DASHBOARD).</summary>
    public string Dashboard => Get("DISTATTN_IMAGE_DASHBOARD");

    /// <summary>Reads <see cref="RepositoryPaths.ImagesEnv"/>: KEY=VALUE lines, blank lines and # comments.</summary>
    public static ImageNames Load()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var raw in File.ReadAllLines(RepositoryPaths.ImagesEnv))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || line.Contains(' ', StringComparison.Ordinal) || line.Contains('"', StringComparison.Ordinal))
                throw new FormatException($"deploy/images.env line {number}: expected KEY=VALUE without spaces or quotes, got '{raw}'.");
            if (!values.TryAdd(line[..eq], line[(eq + 1)..]))
                throw new FormatException($"deploy/images.env line {number}: {line[..eq]} given twice.");
        }
        return new ImageNames(values);
    }

    private string Get(string key) =>
        Values.TryGetValue(key, out var value) && value.Length > 0
            ? value
            : throw new KeyNotFoundException($"deploy/images.env has no {key}.");
}
