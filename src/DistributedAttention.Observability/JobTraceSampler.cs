using System.Diagnostics;
using DistributedAttention.Diagnostics;
using OpenTelemetry.Trace;

namespace DistributedAttention.Observability;

/// <summary>
/// Keeps every job's spans (jobs are few and long: no ratio sampling that could drop a slow or
/// failed one) and drops the noise: Orleans' spans of per-chunk and polling calls (ring
/// deliveries, uploads, output batches, recovery copies, status polls), whose numbers grow with
/// the data, calls between Orleans' internal services (directory, membership), and Orleans'
/// background work that belongs to no request. Dropped spans still carry
/// the trace context on, so what they call stays in the job's trace.
/// </summary>
public sealed class JobTraceSampler : Sampler
{
    /// <summary>Grain methods called once per chunk, per batch of a stream or per poll; their totals are attributes and events of the project's own spans.</summary>
    public static readonly IReadOnlySet<string> ChattyMethods = new HashSet<string>(StringComparer.Ordinal)
    {
        "Deliver", "LoadInput", "ReadOutput", "StoreBackup", "ReadBackup", "GetStatus", "Probe", "MoveNext<T>",
    };

    /// <summary>Orleans' internal services, whose calls (directory, membership, manifest) say nothing about a job and multiply with activations.</summary>
    public static readonly IReadOnlyList<string> RuntimeServices =
    [
        "IGrainDirectoryPartition/", "IRemoteGrainDirectory/", "IMembershipTable/", "IMembershipService/", "IClusterManifestSystemTarget/", "ISiloControl/",
    ];

    /// <summary>The operation name of ASP.NET Core's request spans.</summary>
    public const string AspNetCoreRequest = "Microsoft.AspNetCore.Hosting.HttpRequestIn";

    private static readonly SamplingResult Keep = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    /// <summary>Creates the sampler.</summary>
    public JobTraceSampler()
    {
        Description = "DistributedAttentionJobSampler";
    }

    /// <inheritdoc />
    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        var name = samplingParameters.Name;
        if (name.StartsWith("distattn", StringComparison.Ordinal)) return Keep;
        if (IsChatty(name) || RuntimeServices.Any(r => name.StartsWith(r, StringComparison.Ordinal))) return Drop;
        // An incoming HTTP request starts (or joins) a trace, whatever its caller sampled: the job under it is traced anyway.
        if (name == AspNetCoreRequest) return Keep;
        var parent = samplingParameters.ParentContext;
        // Someone else's span with no parent: Orleans' own background work (timers, statistics), not a job.
        if (parent == default) return Drop;
        // Under a dropped span (background work, a per-message call) it is dropped too; under a kept one, kept.
        return (parent.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? Keep : Drop;
    }

    /// <summary>Whether span <paramref name="name"/> is an Orleans call of one of <see cref="ChattyMethods"/> ("IShardRing/Deliver").</summary>
    public static bool IsChatty(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var slash = name.LastIndexOf('/');
        var method = slash >= 0 ? name[(slash + 1)..] : name;
        if (method.EndsWith("Async", StringComparison.Ordinal)) method = method[..^5];
        return ChattyMethods.Contains(method);
    }
}
