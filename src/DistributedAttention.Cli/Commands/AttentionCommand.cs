using System.CommandLine;
using DistributedAttention.Pipeline;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;

namespace DistributedAttention.Cli.Commands;

/// <summary><c>distattn attention</c>: one attention call over q, k, v from a safetensors file, split across the cluster.</summary>
internal static class AttentionCommand
{
    public static Command Create(CliContext context)
    {
        var input = new Option<string>("--input", "-i") { Description = "safetensors file with F32 tensors q, k (batch, heads, n, d) and v (batch, heads, n, dv).", Required = true, HelpName = "FILE" };
        var output = new Option<string>("--output", "-o") { Description = "safetensors file to write: o (batch, heads, n, dv) and lse (batch, heads, n) where defined.", Required = true, HelpName = "FILE" };
        var globals = new Option<string?>("--global-positions") { Description = "Comma-separated absolute positions of global tokens (window, bigbird).", HelpName = "0,17,..." };
        var mechanism = new MechanismOptions(AttentionKind.Full, defaultWindow: 128);
        var cluster = new ClusterOptions();
        var command = new Command("attention", "Run one attention call on tensors from a safetensors file.") { input, output, globals };
        mechanism.AddTo(command);
        cluster.AddTo(command);
        command.Add(Dashboard.DashboardForRun.CreateOption());
        command.SetAction(async (result, cancellationToken) =>
        {
            var positions = result.GetValue(globals) is { } text ? ValueParsers.Positions(text) : [];
            var spec = mechanism.Build(result, positions);
            cluster.Validate(result);
            var runner = new AttentionRunner(context, result.GetValue(input)!, result.GetValue(output)!, spec);
            return await runner.RunAsync(cluster.Choice(result), silos => cluster.Job(result, silos), cluster.Id(result), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
