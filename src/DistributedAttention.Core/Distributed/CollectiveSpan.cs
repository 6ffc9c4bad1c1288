using System.Diagnostics;
using DistributedAttention.Diagnostics;

namespace DistributedAttention.Core.Distributed;

/// <summary>
/// The span of one collective on one shard. Its hops (each send and receive) are recorded as
/// events by the transport, so a collective over many shards stays one span per shard.
/// </summary>
internal static class CollectiveSpan
{
    /// <summary>Starts the span of the collective named by <paramref name="tag"/>'s first segment; null when nothing listens.</summary>
    public static Activity? Start(IRingTransport ring, string tag)
    {
        var collective = RingTags.Collective(tag);
        var activity = Telemetry.Start(SpanNames.Collective, $"{collective} {Detail(tag)}".TrimEnd());
        if (activity is null) return null;
        activity.SetTag(AttributeNames.Collective, collective);
        activity.SetTag(AttributeNames.Detail, Detail(tag));
        activity.SetTag(AttributeNames.Shard, ring.Shard);
        activity.SetTag(AttributeNames.Shards, ring.Layout.Count);
        return activity;
    }

    /// <summary>The tag after the collective and its scope ("halo/L2/k" → "k").</summary>
    private static string Detail(string tag)
    {
        var parts = tag.Split('/');
        return parts.Length > 2 ? string.Join('/', parts[2..]) : parts.Length == 2 ? parts[1] : "";
    }
}
