using System.CommandLine;
using DistributedAttention.Pipeline;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;

namespace DistributedAttention.Cli.Commands;

/// <summary>The options that describe an attention mechanism, shared by <c>process</c> (every layer) and <c>attention</c>.</summary>
internal sealed class MechanismOptions
{
    private readonly AttentionKind defaultKind;
    private readonly int defaultWindow;

    public MechanismOptions(AttentionKind defaultKind, int defaultWindow)
    {
        this.defaultKind = defaultKind;
        this.defaultWindow = defaultWindow;
        Mechanism = new("--mechanism") { Description = $"Attention mechanism: {ValueParsers.MechanismNames} (default {ValueParsers.MechanismName(defaultKind)})." };
        Window = new("--window") { Description = $"Keys visible left and right of a query, 'L,R' or one number for both; 'inf' is unbounded (default {defaultWindow},{defaultWindow}).", HelpName = "L,R" };
    }

    public Option<string?> Mechanism { get; }

    public Option<string?> Window { get; }

    public Option<int> Dilation { get; } = new("--dilation") { Description = "Window dilation: only keys at i + k·D are visible.", DefaultValueFactory = _ => 1 };

    public Option<bool> Causal { get; } = new("--causal") { Description = "Queries see only keys at positions <= their own." };

    public Option<int> BlockSize { get; } = new("--block-size") { Description = "BigBird block size.", DefaultValueFactory = _ => 64 };

    public Option<int> RandomBlocks { get; } = new("--random-blocks") { Description = "BigBird random key blocks per query block.", DefaultValueFactory = _ => 3 };

    public Option<int> ProjectedLength { get; } = new("--projected-length") { Description = "Linformer projected length k.", DefaultValueFactory = _ => 256 };

    public Option<int> PackedLength { get; } = new("--packed-length") { Description = "Luna packed length l.", DefaultValueFactory = _ => 64 };

    public Option<int> Clusters { get; } = new("--clusters") { Description = "Routing attention clusters C (seeded centroids; training learns them).", DefaultValueFactory = _ => 8 };

    public Option<int> Features { get; } = new("--features") { Description = "Performer random features m.", DefaultValueFactory = _ => 256 };

    public Option<int> SegmentLength { get; } = new("--segment-length") { Description = "Transformer-XL / compressive segment length S.", DefaultValueFactory = _ => 512 };

    public Option<int> MemoryLength { get; } = new("--memory-length") { Description = "Transformer-XL / compressive memory length M.", DefaultValueFactory = _ => 512 };

    public Option<int> CompressionRate { get; } = new("--compression-rate") { Description = "Compressive memory: tokens pooled per slot c.", DefaultValueFactory = _ => 4 };

    public Option<int> CompressedLength { get; } = new("--compressed-length") { Description = "Compressive memory length Mc in slots.", DefaultValueFactory = _ => 128 };

    public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed of BigBird blocks, Linformer projection, Performer features, Luna's packed queries and routing centroids.", DefaultValueFactory = _ => 0x5EED };

    public Option<double?> SoftmaxScale { get; } = new("--softmax-scale") { Description = "Score scale (default 1/sqrt(d))." };

    /// <summary>Every mechanism flag.</summary>
    public IReadOnlyList<Option> All => [Mechanism, Window, Dilation, Causal, BlockSize, RandomBlocks, ProjectedLength, PackedLength, Clusters, Features, SegmentLength, MemoryLength, CompressionRate, CompressedLength, Seed, SoftmaxScale];

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
        var request = new MechanismRequest
        {
            Mechanism = result.GetValue(Mechanism),
            Window = result.GetValue(Window),
            Dilation = result.GetValue(Dilation),
            Causal = result.GetValue(Causal),
            SoftmaxScale = result.GetValue(SoftmaxScale),
            Seed = result.GetValue(Seed),
            BlockSize = result.GetValue(BlockSize),
            RandomBlocks = result.GetValue(RandomBlocks),
            ProjectedLength = result.GetValue(ProjectedLength),
            PackedLength = result.GetValue(PackedLength),
            Clusters = result.GetValue(Clusters),
            Features = result.GetValue(Features),
            SegmentLength = result.GetValue(SegmentLength),
            MemoryLength = result.GetValue(MemoryLength),
            CompressionRate = result.GetValue(CompressionRate),
            CompressedLength = result.GetValue(CompressedLength),
        };
        return request.Build(defaultKind, defaultWindow, globalPositions);
    }
}
