using System.CommandLine;
using DistributedAttention.Contracts;
using DistributedAttention.Pipeline;

namespace DistributedAttention.Cli.Commands;

/// <summary>
/// The options that describe an attention mechanism, shared by <c>process</c> (every layer),
/// <c>train</c> and <c>attention</c>: <c>--mechanism</c>, <c>--window</c> and one flag per
/// parameter of <see cref="MechanismRegistry.Parameters"/>, typed as the parameter is.
/// </summary>
internal sealed class MechanismOptions
{
    private readonly AttentionKind defaultKind;
    private readonly int defaultWindow;
    private readonly (MechanismParameter Parameter, Option Option)[] parameters;

    public MechanismOptions(AttentionKind defaultKind, int defaultWindow)
    {
        this.defaultKind = defaultKind;
        this.defaultWindow = defaultWindow;
        Mechanism = new("--mechanism") { Description = $"Attention mechanism: {MechanismRegistry.Names} (default {MechanismRegistry.NameOf(defaultKind)})." };
        Window = new("--window") { Description = $"Keys visible left and right of a query, 'L,R' or one number for both; 'inf' is unbounded (default {defaultWindow},{defaultWindow}).", HelpName = "L,R" };
        parameters = [.. MechanismRegistry.Parameters.Select(p => (p, OptionFor(p)))];
    }

    public Option<string?> Mechanism { get; }

    public Option<string?> Window { get; }

    /// <summary>Every mechanism flag.</summary>
    public IReadOnlyList<Option> All => [Mechanism, Window, .. parameters.Select(p => p.Option)];

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Add(option);
        }
    }

    /// <summary>The checked spec from the parsed flags.</summary>
    /// <exception cref="ArgumentException">A value is invalid; the message names the flag (the CLI reports it as a usage error).</exception>
    public AttentionSpec Build(ParseResult result, IReadOnlyList<long> globalPositions)
    {
        var values = new Dictionary<string, string>();
        foreach (var (parameter, option) in parameters)
        {
            if (result.GetResult(option) is not { Implicit: false }) continue;
            object? value = option switch
            {
                Option<int?> i => result.GetValue(i),
                Option<ulong?> u => result.GetValue(u),
                Option<double?> d => result.GetValue(d),
                Option<bool> b => result.GetValue(b),
                _ => null,
            };
            if (value is not null) values[parameter.Name] = MechanismParameter.Format(value);
        }
        var request = new MechanismRequest { Mechanism = result.GetValue(Mechanism), Window = result.GetValue(Window), Values = values };
        return request.Build(defaultKind, defaultWindow, globalPositions);
    }

    /// <summary>The flag of <paramref name="parameter"/>: its description, default and the mechanisms that read it.</summary>
    private static Option OptionFor(MechanismParameter parameter)
    {
        var readBy = MechanismRegistry.ReadBy(parameter) is { } names ? $" Read by {string.Join(", ", names)}." : "";
        var description = $"{parameter.Description.TrimEnd('.')} (default {parameter.DefaultText}).{readBy}";
        var name = "--" + parameter.Name;
        return parameter.Type switch
        {
            ParameterType.Int32 => new Option<int?>(name) { Description = description, HelpName = "N" },
            ParameterType.UInt64 => new Option<ulong?>(name) { Description = description, HelpName = "N" },
            ParameterType.Number => new Option<double?>(name) { Description = description, HelpName = "X" },
            _ => new Option<bool>(name) { Description = description },
        };
    }
}
