using DistributedAttention.Abstractions;
using DistributedAttention.Cli.Cluster;
using DistributedAttention.Cli.Progress;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Pipeline;
using Spectre.Console;

namespace DistributedAttention.Cli.Commands;

/// <summary>Runs <c>distattn attention</c>: the attention job (<see cref="AttentionJob"/>, the same code the HTTP API runs) with a progress view.</summary>
internal sealed class AttentionRunner(CliContext context, string input, string output, AttentionSpec spec)
{
    /// <summary>Runs the call; returns the exit code.</summary>
    public async Task<int> RunAsync(ClusterChoice choice, Func<int, JobOptions> jobOptions, string? jobId, CancellationToken cancellationToken)
    {
        // Bad input is an ArgumentException: the CLI reports it as a usage error (exit 2).
        var shape = AttentionJob.CheckInput(input, $"--input '{input}'");
        AttentionJob.CheckSpec(spec, shape);
        CheckOutputFolder();

        await using var connection = await context.Connector.ConnectAsync(choice, cancellationToken).ConfigureAwait(false);
        var options = jobOptions(connection.Silos);
        var client = new JobClient(connection.Grains);
        var view = new JobProgressView(context.Console);
        var title = $"{MechanismRegistry.NameOf(spec.Kind)} attention, n = {shape.Length:N0}, {options.Shards} shard(s) on {connection.Description}";
        var result = await view.ShowWhileAsync(title, progress => AttentionJob.RunAsync(client, spec, input, output, options, jobId, progress, cancellationToken)).ConfigureAwait(false);
        context.Console.MarkupLine($"wrote [bold]{Markup.Escape(output)}[/]: o {AttentionShape.Format(result.Output.Shape)}"
            + (result.Lse is null ? " (no lse: the mechanism defines none)" : $", lse {AttentionShape.Format(result.Lse.Shape)}")
            + $" in {result.Status.ElapsedSeconds:F2} s; trace {result.Status.TraceId}.");
        return ExitCodes.Ok;
    }

    /// <summary>The output must be a file path in a folder that exists and takes files: checked before the job runs, not after.</summary>
    private void CheckOutputFolder()
    {
        if (Directory.Exists(output)) throw new UsageException($"--output '{output}' is a folder; give the path of the .safetensors file to write.");
        var folder = Path.GetDirectoryName(Path.GetFullPath(output))!;
        if (!Directory.Exists(folder)) throw new UsageException($"--output '{output}': the folder '{folder}' does not exist.");
        var probe = Path.Combine(folder, $".distattn-write-check-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--output '{output}': the folder '{folder}' cannot be written: {e.Message}", e);
        }
    }
}
