using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Formats;

namespace DistributedAttention.Pipeline;

/// <summary>
/// One attention call on q, k, v from a safetensors file, split across the cluster, with o (and
/// lse where the mechanism defines it) written to another; what <c>distattn attention</c> and
/// <c>POST /v1/jobs/attention</c> both run. The tensors stay plain arrays from file to cluster and
/// back: no tensor library runs here.
/// </summary>
public static class AttentionJob
{
    /// <summary>The tensors the input must hold.</summary>
    public static IReadOnlyList<string> InputNames { get; } = ["q", "k", "v"];

    /// <summary>File name of the output in an API job's folder.</summary>
    public const string OutputFile = "attention.safetensors";

    /// <summary>Checks, from the header alone, that <paramref name="path"/> holds q, k, v as F32 with shapes that agree.</summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="name">How the file is named in messages ("--input 'x.safetensors'").</param>
    /// <exception cref="ArgumentException">It does not; the message names the problem.</exception>
    public static AttentionShape CheckInput(string path, string name)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new ArgumentException($"{name} does not exist.");
        SafetensorsFile reader;
        try
        {
            reader = SafetensorsFile.Open(path);
        }
        catch (InvalidDataException e)
        {
            throw new ArgumentException($"{name} is not a valid safetensors file: {e.Message}", e);
        }
        using (reader)
        {
            foreach (var tensor in InputNames)
            {
                if (!reader.Contains(tensor))
                {
                    var present = reader.Tensors.Count == 0 ? "none" : string.Join(", ", reader.Tensors.Take(8).Select(t => t.Name));
                    throw new ArgumentException($"{name} has no tensor '{tensor}' (it holds: {present}); it needs q, k and v.");
                }
                var info = reader.GetInfo(tensor);
                if (info.DType != ElementType.Float32) throw new ArgumentException($"{name}: tensor '{tensor}' is {info.DType}; q, k and v must be F32.");
            }
            AttentionShape shape;
            try
            {
                shape = AttentionShape.Of(reader.GetInfo("q").Shape, reader.GetInfo("k").Shape, reader.GetInfo("v").Shape);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{name}: {e.Message}", e);
            }
            foreach (var tensor in InputNames) RequireFinite(reader, tensor, name);
            return shape;
        }
    }

    /// <summary>
    /// Attention over a NaN or an infinity is undefined (one NaN key poisons every query that sees
    /// it), so such inputs are refused, naming the tensor, the count and the first position.
    /// </summary>
    private static void RequireFinite(SafetensorsFile reader, string tensor, string name)
    {
        var values = reader.ReadFloat32(tensor);
        var count = values.Data.LongCount(x => !float.IsFinite(x));
        if (count == 0) return;
        long flat = Array.FindIndex(values.Data, x => !float.IsFinite(x));
        var first = values.Data[flat];
        var index = new long[values.Shape.Length];
        for (var d = index.Length - 1; d >= 0; d--)
        {
            index[d] = flat % values.Shape[d];
            flat /= values.Shape[d];
        }
        throw new ArgumentException($"{name}: tensor '{tensor}' holds {count} NaN or infinite value(s), the first ({first.ToString(System.Globalization.CultureInfo.InvariantCulture)}) at [{string.Join(", ", index)}]; attention over them is undefined, so the input is refused.");
    }

    /// <summary>Checks that <paramref name="spec"/> fits a sequence of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">A global position is outside the sequence.</exception>
    public static void CheckSpec(AttentionSpec spec, AttentionShape shape, string prefix = "--")
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(shape);
        var outside = spec.GlobalPositions.Where(p => p >= shape.Length).ToArray();
        if (outside.Length > 0) throw new ArgumentException($"{prefix}global-positions: position {outside[0]} is outside the sequence of {shape.Length} positions.");
    }

    /// <summary>Runs the call on the cluster and writes o (and lse) to <paramref name="outputPath"/>.</summary>
    /// <exception cref="ArgumentException">The input or options are invalid.</exception>
    /// <exception cref="JobFailedException">The job failed on the cluster.</exception>
    public static async Task<AttentionJobResult> RunAsync(
        JobClient client, AttentionSpec spec, string inputPath, string outputPath, JobOptions options, string? jobId, IProgress<JobStatus>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(spec);
        var (q, k, v) = ReadInputs(inputPath);
        var result = await client.RunAttentionAsync(spec, q, k, v, options, progress, cancellationToken, jobId).ConfigureAwait(false);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "distattn.attention/1",
            ["spec"] = spec.ToJson(),
            ["job_id"] = result.Plan.JobId,
            ["shard_bounds"] = string.Join(",", result.Plan.Bounds),
            ["trace_id"] = result.Status.TraceId,
        };
        // In the order every safetensors writer uses (element size, then name): lse before o.
        var outputs = new List<(string Name, HostTensor Tensor)>();
        if (result.Lse is { } lse) outputs.Add(("lse", lse));
        outputs.Add(("o", result.Output));
        using var writer = new SafetensorsStreamWriter(outputPath, [.. outputs.Select(t => SafetensorsDeclaration.Float32(t.Name, t.Tensor.Shape))], metadata);
        foreach (var (name, tensor) in outputs) writer.Write(name, tensor);
        writer.Complete();
        return result;
    }

    private static (HostTensor Q, HostTensor K, HostTensor V) ReadInputs(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return (file.ReadFloat32("q"), file.ReadFloat32("k"), file.ReadFloat32("v"));
    }
}
