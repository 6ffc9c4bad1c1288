using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>Kubernetes label selector semantics (matchLabels and matchExpressions).</summary>
internal static class LabelSelectors
{
    /// <summary>
    /// Whether a Service-style selector (equality only) selects <paramref name="labels"/>. A
    /// missing or empty one selects nothing (a Service without selector has no endpoints).
    /// </summary>
    public static bool Matches(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        selector is { Count: > 0 } && selector.All(s => labels is not null && labels.TryGetValue(s.Key, out var v) && v == s.Value);

    /// <summary>Whether a LabelSelector selects <paramref name="labels"/>; an empty one selects everything, a missing one nothing.</summary>
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels)
    {
        if (selector is null) return false;
        labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
        }
        foreach (var expression in selector.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(expression.Key, out var actual);
            var values = expression.Values ?? [];
            var ok = expression.OperatorProperty switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => throw new InvalidDataException($"Unknown label selector operator {expression.OperatorProperty}."),
            };
            if (!ok) return false;
        }
        return true;
    }
}
