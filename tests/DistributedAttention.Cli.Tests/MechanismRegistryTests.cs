using System.CommandLine;
using DistributedAttention.Cli.Commands;
using DistributedAttention.Contracts;
using DistributedAttention.Experiments;
using DistributedAttention.Http;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// Walks the mechanism registry: every mechanism, with every parameter it reads set away from its
/// default, is reachable by the same names from the command line (<c>--NAME VALUE</c>) and from
/// the HTTP API (<c>NAME=VALUE</c>), and both give the same spec; the experiments' table has a
/// row for it. (That the cluster runs each one: DistributedJobTests; that each has kernels:
/// MechanismKernelsTests.)
/// </summary>
public sealed class MechanismRegistryTests
{
    public static IEnumerable<object[]> Mechanisms() => MechanismRegistry.All.Select(m => new object[] { m.Name });

    [Theory]
    [MemberData(nameof(Mechanisms))]
    public void Every_parameter_is_set_the_same_from_the_command_line_and_the_api(string name)
    {
        var mechanism = MechanismRegistry.All.Single(m => m.Name == name);
        var values = Changed(mechanism);
        Assert.NotEmpty(values);

        var options = new MechanismOptions(AttentionKind.Window, defaultWindow: 128);
        var command = new Command("attention");
        options.AddTo(command);
        var arguments = new List<string> { "--mechanism", name };
        foreach (var (parameter, value) in values)
        {
            arguments.Add("--" + parameter.Name);
            if (parameter.Type != ParameterType.Flag) arguments.Add(value);
        }
        var parsed = command.Parse(arguments);
        Assert.Empty(parsed.Errors);
        var fromCommandLine = options.Build(parsed, []);

        var bag = new OptionBag();
        bag.Add("mechanism", name);
        foreach (var (parameter, value) in values) bag.Add(parameter.Name, value);
        var fromApi = JobRequests.Attention(bag);

        Assert.Equal(mechanism.Kind, fromCommandLine.Kind);
        Assert.Equal(fromCommandLine, fromApi);
        foreach (var (parameter, value) in values)
        {
            Assert.Equal(value, MechanismParameter.Format(parameter.Read(fromCommandLine)!));
            Assert.NotEqual(parameter.Default, parameter.Read(fromCommandLine));
        }
    }

    [Fact]
    public void Every_parameter_has_one_flag_and_help_that_names_its_default()
    {
        var options = new MechanismOptions(AttentionKind.Window, defaultWindow: 128);
        var names = options.All.Select(o => o.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var parameter in MechanismRegistry.Parameters)
        {
            var option = Assert.Single(options.All, o => o.Name == "--" + parameter.Name);
            Assert.Contains($"(default {parameter.DefaultText})", option.Description, StringComparison.Ordinal);
        }
        foreach (var mechanism in MechanismRegistry.All) Assert.Contains(mechanism.Name, options.Mechanism.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_mechanism_has_a_row_in_the_results_table()
    {
        foreach (var mechanism in MechanismRegistry.All)
        {
            var rows = MechanismCatalog.All.Where(r => r.For(1024, 64).Kind == mechanism.Kind).ToList();
            Assert.NotEmpty(rows);
            Assert.All(rows, r => Assert.Equal(mechanism.NoCausalForm is null, r.For(1024, 64).Causal));
        }
    }

    [Fact]
    public void A_parameter_nobody_reads_is_refused_by_name()
    {
        var request = new Pipeline.MechanismRequest { Mechanism = "window", Values = new Dictionary<string, string> { ["block-sise"] = "3" } };
        var error = Assert.Throws<ArgumentException>(() => request.Build(AttentionKind.Window, 128, [], prefix: ""));
        Assert.Contains("block-sise is not a mechanism parameter", error.Message, StringComparison.Ordinal);
        Assert.Contains("block-size", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Every parameter the mechanism reads (and the shared ones it can take), at a valid value other than the default.</summary>
    private static List<(MechanismParameter Parameter, string Value)> Changed(MechanismDescriptor mechanism)
    {
        var parameters = mechanism.Parameters.Concat([SharedParameters.SoftmaxScale]);
        if (mechanism.NoCausalForm is null) parameters = parameters.Append(SharedParameters.Causal);
        return [.. parameters.Select(p => (p, p.Type switch
        {
            // Doubling keeps every check: multiples of the compression rate stay multiples, blocks stay >= 1.
            ParameterType.Int32 => MechanismParameter.Format(2 * (int)p.Default!),
            ParameterType.UInt64 => MechanismParameter.Format((ulong)p.Default! + 1),
            ParameterType.Number => "0.5",
            _ => "true",
        }))];
    }
}
