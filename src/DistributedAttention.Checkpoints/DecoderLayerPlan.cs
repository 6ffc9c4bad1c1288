namespace DistributedAttention.Checkpoints;

/// <summary>One decoder layer's attention as the checkpoint defines it.</summary>
/// <param name="Index">Position in the stack.</param>
/// <param name="SlidingWindow">
/// Hugging Face's <c>sliding_window</c> W on a sliding layer: a query sees W keys including itself,
/// i.e. keys i − W &lt; j ≤ i, window (W − 1, 0) in this project's terms; null on a full causal layer.
/// </param>
/// <param name="Rope">The layer's rotary embedding.</param>
public sealed record DecoderLayerPlan(int Index, int? SlidingWindow, RopeSettings Rope)
{
    /// <summary>Keys visible before a query on this layer (W − 1), or null for full causal attention.</summary>
    public int? WindowLeft => SlidingWindow - 1;

    /// <summary>"sliding 4096" or "full", for summaries and logs.</summary>
    public string Describe() => SlidingWindow is { } w ? $"sliding {w}" : "full";
}
