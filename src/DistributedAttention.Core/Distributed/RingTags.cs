namespace DistributedAttention.Core.Distributed;

/// <summary>Helpers for message tags: "collective/detail…".</summary>
public static class RingTags
{
    /// <summary>The collective a tag belongs to: its first segment.</summary>
    public static string Collective(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var slash = tag.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? tag : tag[..slash];
    }

    /// <summary>Throws when <paramref name="peer"/> is not a shard of <paramref name="layout"/>.</summary>
    public static void CheckPeer(ShardLayout layout, int peer)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (peer < 0 || peer >= layout.Count) throw new ArgumentOutOfRangeException(nameof(peer), peer, $"peer shard must be in [0, {layout.Count}).");
    }
}
