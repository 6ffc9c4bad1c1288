using System.Globalization;

namespace DistributedAttention.Grains.Placement;

/// <summary>The string key of a shard grain: "jobId/shard" (the job id may itself contain '/').</summary>
public static class ShardKey
{
    /// <summary>Formats the key of shard <paramref name="shard"/> of job <paramref name="jobId"/>.</summary>
    public static string Format(string jobId, int shard)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        return string.Create(CultureInfo.InvariantCulture, $"{jobId}/{shard}");
    }

    /// <summary>Splits a key into job id and shard index.</summary>
    /// <exception cref="ArgumentException">The key is not "jobId/shard" with a non-negative integer shard.</exception>
    public static (string JobId, int Shard) Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var slash = key.LastIndexOf('/');
        if (slash <= 0 || slash == key.Length - 1 ||
            !int.TryParse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var shard))
        {
            throw new ArgumentException($"'{key}' is not a shard grain key; expected \"jobId/shard\" with a non-negative integer shard (e.g. \"job-1/3\").", nameof(key));
        }
        return (key[..slash], shard);
    }
}
