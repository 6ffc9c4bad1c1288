using System.Diagnostics;
using DistributedAttention.Core.Distributed;
using DistributedAttention.Diagnostics;

namespace DistributedAttention.Grains.Messaging;

/// <summary>
/// Hops as events on the span of their collective (one span per collective and shard, however
/// many hops), with the collective's totals kept as attributes of that span. A span keeps at most
/// <see cref="MaxEventsPerSpan"/> hop events (an all-gather over P shards makes 2(P−1) hops per
/// shard); later hops count only in the totals and in <c>distattn.hops</c>.
/// </summary>
internal static class HopEvents
{
    /// <summary>Hop events kept per collective span.</summary>
    public const int MaxEventsPerSpan = 8;

    /// <summary>A tensor of <paramref name="bytes"/> went to shard <paramref name="peer"/> in <paramref name="seconds"/>.</summary>
    public static void Sent(Activity? span, int peer, string tag, long bytes, double seconds)
    {
        if (span is null || !span.IsAllDataRequested) return;
        var tags = new ActivityTagsCollection
        {
            [AttributeNames.PeerShard] = peer,
            [AttributeNames.Bytes] = bytes,
            [AttributeNames.TransferSeconds] = seconds,
            [AttributeNames.Detail] = tag,
        };
        Add(span, new ActivityEvent(SpanNames.SendEvent, DateTimeOffset.UtcNow, tags));
        span.AddToTag(AttributeNames.Bytes, bytes);
        span.AddToTag(AttributeNames.TransferSeconds, seconds);
    }

    /// <summary>A tensor of <paramref name="bytes"/> came from shard <paramref name="peer"/> after waiting <paramref name="wait"/> and moving for <paramref name="transfer"/> seconds.</summary>
    public static void Received(Activity? span, int peer, string tag, long bytes, double wait, double transfer)
    {
        if (span is null || !span.IsAllDataRequested) return;
        var tags = new ActivityTagsCollection
        {
            [AttributeNames.PeerShard] = peer,
            [AttributeNames.Bytes] = bytes,
            [AttributeNames.WaitSeconds] = wait,
            [AttributeNames.TransferSeconds] = transfer,
            [AttributeNames.Detail] = tag,
            [AttributeNames.Collective] = RingTags.Collective(tag),
        };
        Add(span, new ActivityEvent(SpanNames.ReceiveEvent, DateTimeOffset.UtcNow, tags));
        span.AddToTag(AttributeNames.ReceivedBytes, bytes);
        span.AddToTag(AttributeNames.WaitSeconds, wait);
        span.AddToTag(AttributeNames.TransferSeconds, transfer);
    }

    private static void Add(Activity span, ActivityEvent hop)
    {
        span.AddToTag(AttributeNames.Hops, 1L);
        lock (span)
        {
            if (span.Events.Count() < MaxEventsPerSpan) span.AddEvent(hop);
        }
    }
}
