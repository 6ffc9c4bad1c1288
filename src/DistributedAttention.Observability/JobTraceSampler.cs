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
    /// <summary>Grain methods called once per chunk or per poll; their totals are attributes and events of the project's own spans.</summary>
    public static readonly IReadOnlySet<string> ChattyMethods = new HashSet<string>(StringComparer.Ordinal)
    {
        "Deliver", "LoadInput", "ReadOutput", "StoreBackup", "ReadBackup", "GetStatus", "Probe",
    };

    /// <summary>Orleans' internal services, whose calls (directory, membership, manifest) say nothing about a job and multiply with activations.</summary>
    public static readonly IReadOnlyList<string> RuntimeServices =
    [
        "IGrainDirectoryPartition/", "IRemoteGrainDirectory/", "IMembershipTable/", "IMembershipService/", "IClusterManifestSystemTarget/", "ISiloControl/",
    ];

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
        // A span of someone else's with no parent: an incoming HTTP request starts a trace; Orleans' own background calls do not.
        if (samplingParameters.ParentContext == default && samplingParameters.Kind != ActivityKind.Server) return Drop;
        if (samplingParameters.ParentContext == default && name.Contains('/', StringComparison.Ordinal)) return Drop;
        return Keep;
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
