using DistributedAttention.Abstractions;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Cli.Parsing;
using DistributedAttention.Cli.Progress;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.IO;
using DistributedAttention.Core.Runtime;
using Spectre.Console;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Commands;

/// <summary>Reads q, k, v, runs the attention job, writes o and lse.</summary>
internal sealed class AttentionRunner(CliContext context, string input, string output, AttentionSpec spec)
{
    private static readonly string[] Names = ["q", "k", "v"];

    public async Task<int> RunAsync(ClusterChoice choice, Func<int, JobOptions> jobOptions, string? jobId, CancellationToken cancellationToken)
    {
        var shape = CheckInput();
        CheckOutputFolder();
        var outside = spec.GlobalPositions.Where(p => p >= shape.Length).ToArray();
        if (outside.Length > 0)
        {
            throw new UsageException($"--global-positions: position {outside[0]} is outside the sequence of {shape.Length} positions.");
        }

        TorchRuntime.EnsureLoaded();
        var (q, k, v) = ReadInputs();
        try
        {
            await using var connection = await context.Connector.ConnectAsync(choice, cancellationToken).ConfigureAwait(false);
            var options = jobOptions(connection.Silos);
            var client = new JobClient(connection.Grains);
            var view = new JobProgressView(context.Console);
            var title = $"{ValueParsers.MechanismName(spec.Kind)} attention, n = {shape.Length:N0}, {options.Shards} shard(s) on {connection.Description}";
            var (hostQ, hostK, hostV) = (q.ToHost(), k.ToHost(), v.ToHost());
            var result = await view.ShowWhileAsync(title, progress => client.RunAttentionAsync(spec, hostQ, hostK, hostV, options, progress, cancellationToken, jobId)).ConfigureAwait(false);

            using var o = result.Output.ToTorch();
            using var lse = result.Lse?.ToTorch();
            var tensors = new Dictionary<string, Tensor> { ["o"] = o };
            if (lse is not null) tensors["lse"] = lse;
            var metadata = new Dictionary<string, string>
            {
                ["format"] = "distattn.attention/1",
                ["spec"] = spec.ToJson(),
                ["job_id"] = result.Plan.JobId,
                ["shard_bounds"] = string.Join(",", result.Plan.Bounds),
            };
            Safetensors.Save(output, tensors, metadata);
            context.Console.MarkupLine($"wrote [bold]{Markup.Escape(output)}[/]: o {AttentionShape.Format(result.Output.Shape)}"
                + (result.Lse is null ? " (no lse: the mechanism defines none)" : $", lse {AttentionShape.Format(result.Lse.Shape)}")
                + $" in {result.Status.ElapsedSeconds:F2} s.");
            return ExitCodes.Ok;
        }
        finally
        {
            q.Dispose();
            k.Dispose();
            v.Dispose();
        }
    }

    /// <summary>Checks names, dtypes and shapes from the header alone, before any tensor is read.</summary>
    private AttentionShape CheckInput()
    {
        if (!File.Exists(input)) throw new UsageException($"--input '{input}' does not exist.");
        try
        {
            using var reader = SafetensorsReader.Open(input);
            foreach (var name in Names)
            {
                if (!reader.Contains(name))
                {
                    var present = reader.Tensors.Count == 0 ? "none" : string.Join(", ", reader.Tensors.Take(8).Select(t => t.Name));
                    throw new UsageException($"--input '{input}' has no tensor '{name}' (it holds: {present}); it needs q, k and v.");
                }
                var info = reader.GetInfo(name);
                if (info.DType != ScalarType.Float32) throw new UsageException($"--input '{input}': tensor '{name}' is {info.DType}; q, k and v must be F32.");
            }
            return AttentionShape.Of(reader.GetInfo("q").Shape, reader.GetInfo("k").Shape, reader.GetInfo("v").Shape);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"--input '{input}' is not a valid safetensors file: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--input '{input}': {e.Message}", e);
        }
    }

    private void CheckOutputFolder()
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(output))!;
        if (!Directory.Exists(folder)) throw new UsageException($"--output '{output}': the folder '{folder}' does not exist.");
    }

    private (Tensor Q, Tensor K, Tensor V) ReadInputs()
    {
        using var reader = SafetensorsReader.Open(input);
        var all = new List<Tensor>();
        try
        {
            foreach (var name in Names) all.Add(reader.Read(name));
        }
        catch
        {
            foreach (var t in all) t.Dispose();
            throw;
        }
        return (all[0], all[1], all[2]);
    }
}
