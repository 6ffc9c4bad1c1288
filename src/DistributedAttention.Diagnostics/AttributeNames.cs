namespace DistributedAttention.Diagnostics;

/// <summary>The <c>distattn.*</c> attribute namespace of spans and span events.</summary>
public static class AttributeNames
{
    /// <summary>The job's id.</summary>
    public const string JobId = "distattn.job.id";

    /// <summary>Model or attention.</summary>
    public const string JobKind = "distattn.job.kind";

    /// <summary>A phase's name (tokenize, upload, prepare, layer 3, download…).</summary>
    public const string Phase = "distattn.phase";

    /// <summary>Shard index.</summary>
    public const string Shard = "distattn.shard";

    /// <summary>Number of shards.</summary>
    public const string Shards = "distattn.shards";

    /// <summary>Layer index (−1: prepare).</summary>
    public const string Layer = "distattn.layer";

    /// <summary>Number of layers.</summary>
    public const string Layers = "distattn.layers";

    /// <summary>The coordinator's attempt number of a layer.</summary>
    public const string Attempt = "distattn.attempt";

    /// <summary>Attention mechanism(s).</summary>
    public const string Mechanism = "distattn.mechanism";

    /// <summary>Tokens (sequence length).</summary>
    public const string Tokens = "distattn.tokens";

    /// <summary>Bytes put on the wire (a hop, a collective, a shard's layer, a phase).</summary>
    public const string Bytes = "distattn.bytes";

    /// <summary>Bytes a collective received from its peers.</summary>
    public const string ReceivedBytes = "distattn.bytes.received";

    /// <summary>Sends and receives of a collective (its events show the first few).</summary>
    public const string Hops = "distattn.hops";

    /// <summary>The other shard of a hop.</summary>
    public const string PeerShard = "distattn.peer.shard";

    /// <summary>Element type on the wire.</summary>
    public const string WireDType = "distattn.wire.dtype";

    /// <summary>The silo a span ran on.</summary>
    public const string Silo = "distattn.silo";

    /// <summary>The device a shard computes on.</summary>
    public const string Device = "distattn.device";

    /// <summary>A collective's name.</summary>
    public const string Collective = "distattn.collective";

    /// <summary>What a collective moves ("k", "v", "globals"…).</summary>
    public const string Detail = "distattn.detail";

    /// <summary>Seconds spent waiting for a peer's data to start arriving (the peer was not ready).</summary>
    public const string WaitSeconds = "distattn.wait.seconds";

    /// <summary>Seconds spent moving data once it flowed (sending, or receiving after the first piece arrived).</summary>
    public const string TransferSeconds = "distattn.transfer.seconds";

    /// <summary>On a layer span: the shard every other shard waited for (the least waiting, the most busy).</summary>
    public const string StragglerShard = "distattn.straggler.shard";

    /// <summary>On a layer span: the longest a shard waited for its peers in the layer.</summary>
    public const string StragglerWaitSeconds = "distattn.straggler.wait.seconds";

    /// <summary>On a recovery span: the shards lost.</summary>
    public const string LostShards = "distattn.lost.shards";

    /// <summary>On a recovery span: why (the failure that revealed the loss).</summary>
    public const string Reason = "distattn.reason";

    /// <summary>The job's outcome (completed, failed, cancelled).</summary>
    public const string Outcome = "distattn.outcome";
}
