using DistributedAttention.Contracts;
using DistributedAttention.Pipeline;

namespace DistributedAttention.Http;

/// <summary>Reads the options of a job submission (the names of the command line's flags, without dashes).</summary>
public static class JobRequests
{
    /// <summary>The model and mechanism of a book job.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static BookJobSettings Book(OptionBag options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var defaults = BookJobSettings.Default;
        var dim = options.Int("model-dim") ?? defaults.ModelDim;
        var settings = new BookJobSettings(
            options.Int("layers") ?? defaults.Layers,
            dim,
            options.Int("heads") ?? defaults.Heads,
            options.Int("ffn-dim") ?? 4 * dim,
            options.UInt64("model-seed") ?? defaults.ModelSeed,
            options.Int("global-every") ?? defaults.GlobalEvery,
            options.Int("max-tokens"),
            Mechanism(options).Build(AttentionKind.Window, defaultWindow: 128, [], prefix: ""))
        { Encoding = options.Text("encoding") };
        settings.Validate();
        return settings;
    }

    /// <summary>The options a pretrained model decides itself (refused beside model=NAME).</summary>
    public static IReadOnlyList<string> ModelDecides { get; } =
        ["layers", "model-dim", "heads", "ffn-dim", "model-seed", "global-every", "mechanism", "window", .. MechanismRegistry.Parameters.Select(p => p.Name)];

    /// <summary>The mechanism of an attention job.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static AttentionSpec Attention(OptionBag options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var globals = options.Text("global-positions") is { } text ? ValueParsers.Positions(text, "global-positions") : [];
        return Mechanism(options).Build(AttentionKind.Full, defaultWindow: 128, globals, prefix: "");
    }

    /// <summary>How to split and move the job.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static SplitRequest Split(OptionBag options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var defaults = new SplitRequest();
        return new SplitRequest
        {
            Shards = options.Int("shards"),
            Wire = options.Text("wire") ?? defaults.Wire,
            ChunkMegabytes = options.Int("chunk-mb") ?? defaults.ChunkMegabytes,
            Replicas = options.Int("replicas") ?? defaults.Replicas,
            NoRecovery = options.Bool("no-recovery") ?? false,
        };
    }

    /// <summary>The client-chosen job id, or a new one.</summary>
    /// <exception cref="ArgumentException">The given id is not usable.</exception>
    public static string JobId(OptionBag options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Text("job-id") is { } id ? SplitRequest.CheckJobId(id, "") : Guid.NewGuid().ToString("N");
    }

    /// <summary>The mechanism's name, window and every parameter of <see cref="MechanismRegistry.Parameters"/>, by the command line's flag names.</summary>
    private static MechanismRequest Mechanism(OptionBag o)
    {
        var values = new Dictionary<string, string>();
        foreach (var parameter in MechanismRegistry.Parameters)
        {
            object? value = parameter.Type switch
            {
                ParameterType.Int32 => o.Int(parameter.Name),
                ParameterType.UInt64 => o.UInt64(parameter.Name),
                ParameterType.Number => o.Double(parameter.Name),
                _ => o.Bool(parameter.Name),
            };
            if (value is not null) values[parameter.Name] = MechanismParameter.Format(value);
        }
        return new MechanismRequest { Mechanism = o.Text("mechanism"), Window = o.Text("window"), Values = values };
    }
}
