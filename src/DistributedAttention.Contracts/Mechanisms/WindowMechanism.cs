namespace DistributedAttention.Contracts;

/// <summary>Sliding window (Longformer), with dilation and global tokens.</summary>
internal static class WindowMechanism
{
    public static MechanismDescriptor Descriptor { get; } = new()
    {
        Kind = AttentionKind.Window,
        Name = "window",
        Aliases = ["longformer"],
        Summary = "A sliding window of keys around each query, optionally dilated, plus symmetric global tokens.",
        Windowed = true,
        Parameters = [SharedParameters.Dilation],
        AttentionPairs = Band,
        SurveyRows =
        [
            new("window", (_, w) => new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = w, WindowRight = 0, Causal = true }),
            new("window + global (Longformer)", (n, w) => new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = w, WindowRight = 0, Causal = true, GlobalPositions = SurveyRow.GlobalsEvery(n, 4 * w) }),
            new("strided (dilated)", (_, w) => new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = w, WindowRight = 0, Dilation = 4, Causal = true }),
        ],
    };

    /// <summary>Keys in the (dilated, maybe causal) window of each row, summed over the rows.</summary>
    public static double Band(AttentionSpec spec, long n)
    {
        long delta = spec.Dilation;
        var left = (long?)spec.WindowLeft ?? n;
        var right = spec.EffectiveRight is { } r ? (long)r : n;
        double total = 0;
        for (long i = 0; i < n; i++)
        {
            // Keys i + k·δ with −left ≤ k ≤ right inside [0, n).
            var first = Math.Max(-left, -(i / delta));
            var last = Math.Min(right, (n - 1 - i) / delta);
            if (last >= first) total += last - first + 1;
        }
        return total;
    }
}
