namespace DistributedAttention.Diagnostics;

/// <summary>Operation names of the project's spans (their display names add numbers: "layer 3").</summary>
public static class SpanNames
{
    /// <summary>A command-line command (distattn process, distattn attention): the root of its job's trace.</summary>
    public const string Command = "distattn.command";

    /// <summary>A whole job as its client sees it: submit, upload, wait, download.</summary>
    public const string Job = "distattn.job";

    /// <summary>A client-side phase: tokenize, upload, download, write.</summary>
    public const string ClientPhase = "distattn.client.phase";

    /// <summary>The coordinator's run of a job (prepare and every layer); a resumed coordinator starts another.</summary>
    public const string Run = "distattn.run";

    /// <summary>A coordinator phase: prepare, resume, layer N.</summary>
    public const string Phase = "distattn.phase";

    /// <summary>Restoring lost shards from their neighbours' copies.</summary>
    public const string Recovery = "distattn.recovery";

    /// <summary>One shard's work in one layer (or in prepare), on its silo and device.</summary>
    public const string ShardCompute = "distattn.shard.compute";

    /// <summary>One collective (halo, allgather, reduce, reduce-merge, rotate, prefix-scan, backup) on one shard; its hops are events.</summary>
    public const string Collective = "distattn.collective";

    /// <summary>Event on a collective span: a tensor sent to a peer.</summary>
    public const string SendEvent = "send";

    /// <summary>Event on a collective span: a tensor received from a peer.</summary>
    public const string ReceiveEvent = "receive";
}
