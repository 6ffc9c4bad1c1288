namespace DistributedAttention.Abstractions;

/// <summary>
/// Trained weights a model job runs instead of seeded ones: a safetensors checkpoint that every
/// silo reads from the same path (one machine, or a volume mounted alike on every silo), and the
/// SHA-256 of its bytes, so a silo that finds another file there fails the job rather than
/// computing with it.
/// </summary>
/// <param name="Path">The checkpoint's absolute path on every silo.</param>
/// <param name="Sha256">SHA-256 of the file, lower-case hex.</param>
[GenerateSerializer, Immutable, Alias("distattn.ModelWeights")]
public sealed record ModelWeights(string Path, string Sha256)
{
    /// <summary>The reference to the file at <paramref name="path"/> as it is now.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static ModelWeights Of(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"weights file '{path}' does not exist.", full);
        return new ModelWeights(full, Digest(full));
    }

    /// <summary>SHA-256 of the file at <paramref name="path"/>, lower-case hex.</summary>
    public static string Digest(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }
}
