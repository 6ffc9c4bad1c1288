namespace DistributedAttention.Core.Distributed;

/// <summary>
/// How a sequence of <see cref="Length"/> tokens is split into contiguous shards: shard s holds
/// absolute positions <c>Bounds[s] .. Bounds[s+1] - 1</c>. Sizes may differ; empty shards are not allowed.
/// </summary>
public sealed record ShardLayout
{
    private readonly long[] bounds;

    /// <summary>Creates a layout from P+1 increasing bounds starting at 0.</summary>
    /// <exception cref="ArgumentException">The bounds do not start at 0 or are not strictly increasing.</exception>
    public ShardLayout(IReadOnlyList<long> bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        if (bounds.Count < 2) throw new ArgumentException("a layout needs at least one shard (two bounds).", nameof(bounds));
        if (bounds[0] != 0) throw new ArgumentException($"the first shard must start at 0 (got {bounds[0]}).", nameof(bounds));
        for (var s = 1; s < bounds.Count; s++)
        {
            if (bounds[s] <= bounds[s - 1])
                throw new ArgumentException($"shard {s - 1} is empty or negative: bounds {bounds[s - 1]}..{bounds[s]}; every shard needs at least one token.", nameof(bounds));
        }
        this.bounds = [.. bounds];
    }

    /// <summary>The P+1 shard bounds.</summary>
    public IReadOnlyList<long> Bounds => bounds;

    /// <summary>Number of shards P.</summary>
    public int Count => bounds.Length - 1;

    /// <summary>Total sequence length n.</summary>
    public long Length => bounds[^1];

    /// <summary>First absolute position of shard <paramref name="shard"/>.</summary>
    public long Start(int shard) => bounds[Check(shard)];

    /// <summary>One past the last absolute position of shard <paramref name="shard"/>.</summary>
    public long End(int shard) => bounds[Check(shard) + 1];

    /// <summary>Tokens in shard <paramref name="shard"/>.</summary>
    public long Size(int shard) => End(shard) - Start(shard);

    /// <summary>The shard holding absolute position <paramref name="position"/>.</summary>
    public int Owner(long position)
    {
        if (position < 0 || position >= Length) throw new ArgumentOutOfRangeException(nameof(position), position, $"position must be in [0, {Length}).");
        var index = Array.BinarySearch(bounds, position);
        return index >= 0 ? index : ~index - 1;
    }

    /// <summary>
    /// <paramref name="shards"/> shards as even as possible (the first n mod P get one more token).
    /// </summary>
    /// <exception cref="ArgumentException">There are fewer tokens than shards, or no shards.</exception>
    public static ShardLayout Even(long length, int shards)
    {
        if (shards < 1) throw new ArgumentException($"shard count must be >= 1 (got {shards}).", nameof(shards));
        if (length < shards) throw new ArgumentException($"{length} tokens cannot fill {shards} shards; use at most {Math.Max(length, 1)} shards.", nameof(length));
        var b = new long[shards + 1];
        var (size, extra) = (length / shards, length % shards);
        for (var s = 0; s < shards; s++) b[s + 1] = b[s] + size + (s < extra ? 1 : 0);
        return new ShardLayout(b);
    }

    /// <summary>A layout with the given shard sizes, in ring order.</summary>
    public static ShardLayout FromSizes(IReadOnlyList<long> sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var b = new long[sizes.Count + 1];
        for (var s = 0; s < sizes.Count; s++) b[s + 1] = b[s] + sizes[s];
        return new ShardLayout(b);
    }

    /// <inheritdoc />
    public bool Equals(ShardLayout? other) => other is not null && bounds.AsSpan().SequenceEqual(other.bounds);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var b in bounds) h.Add(b);
        return h.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => $"ShardLayout[{string.Join(", ", bounds)}]";

    private int Check(int shard) =>
        shard >= 0 && shard < Count ? shard : throw new ArgumentOutOfRangeException(nameof(shard), shard, $"shard must be in [0, {Count}).");
}
