namespace DistributedAttention.Contracts;

/// <summary>Routing attention: queries and keys grouped by their nearest centroid.</summary>
internal static class RoutingMechanism
{
    private static readonly MechanismParameter Clusters = MechanismParameter.Int("clusters", "Routing attention clusters C (seeded centroids; training learns them).", s => s.Clusters, (s, v) => s with { Clusters = v });

    public static MechanismDescriptor Descriptor { get; } = new()
    {
        Kind = AttentionKind.Routing,
        Name = "routing",
        Summary = "Queries and keys go to the cluster of their nearest centroid; a query attends to its cluster's keys and its own key.",
        Parameters = [Clusters, SharedParameters.Seed],
        Problems = Problems,
        // Each query scores its cluster: n / C keys when clusters are balanced.
        AttentionPairs = (spec, n) => (double)n * n / spec.Clusters,
        SurveyRows = [new("routing (learned)", (n, w) => new AttentionSpec { Kind = AttentionKind.Routing, Clusters = (int)Math.Clamp(n / (2L * w), 2, 4096), Causal = true })],
    };

    private static IEnumerable<string> Problems(AttentionSpec spec)
    {
        if (spec.Clusters < 1)
        {
            yield return $"routing clusters must be >= 1 (got {spec.Clusters}).";
            yield break;
        }
        if (spec.Centroids.Count % spec.Clusters != 0) yield return $"routing centroids hold {spec.Centroids.Count} numbers, not a whole number of rows for {spec.Clusters} clusters.";
        if (!spec.Centroids.All(float.IsFinite)) yield return "routing centroids must be finite numbers.";
    }
}
