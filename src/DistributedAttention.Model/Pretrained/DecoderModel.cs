using DistributedAttention.Checkpoints;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Pretrained;

/// <summary>
/// A pretrained decoder from a Hugging Face model folder (<see cref="ModelFolder"/>): embedding
/// (Gemma: times √hidden), its layers (<see cref="DecoderLayer"/>), the final norm, and next-token
/// scores through the output head a block of rows at a time (<see cref="Score"/>), so no
/// (n, vocab) tensor is ever made. Weights are read once, converted to the compute type, and only
/// read afterwards: one model can serve every shard of a process.
/// </summary>
public sealed class DecoderModel : IDisposable
{
    /// <summary>Rows per block of the output head: (rows, vocab) logits stay a few tens of MB even at a 262K vocabulary.</summary>
    public const int HeadRowBlock = 64;

    private readonly DecoderWeights weights;
    private readonly Tensor embedding, finalNorm, head;

    private DecoderModel(ModelFolder folder, DecoderWeights weights, Device device, ScalarType dtype)
    {
        Folder = folder;
        this.weights = weights;
        Device = device;
        ComputeType = dtype;
        var a = folder.Architecture;
        embedding = weights[$"{a.TensorPrefix}embed_tokens.weight"];
        finalNorm = weights[$"{a.TensorPrefix}norm.weight"];
        head = a.TiedEmbeddings ? embedding : weights[a.HeadTensor];
        Layers = [.. a.Layers.Select(plan => new DecoderLayer(a, plan, weights))];
    }

    /// <summary>Loads the weights of <paramref name="folder"/> onto <paramref name="device"/> (CPU by default) as <paramref name="dtype"/> (float32 by default).</summary>
    public static DecoderModel Load(ModelFolder folder, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float64))
            throw new ArgumentException($"compute type must be float32, bfloat16 or float64, not {dtype}.", nameof(dtype));
        var target = device ?? CPU;
        return new DecoderModel(folder, DecoderWeights.Load(folder, target, dtype), target, dtype);
    }

    /// <summary>The folder the weights came from.</summary>
    public ModelFolder Folder { get; }

    /// <summary>The model as its config defines it.</summary>
    public DecoderArchitecture Architecture => Folder.Architecture;

    /// <summary>Where the weights live.</summary>
    public Device Device { get; }

    /// <summary>
    /// The type of the weights and of the matmuls: float32 (the default), bfloat16 (matmuls in bf16,
    /// every norm, activation, softmax and the residual stream in float32), or float64 (tests).
    /// </summary>
    public ScalarType ComputeType { get; }

    /// <summary>The type of the hidden states and of everything but the matmuls: float64 for a float64 model, float32 otherwise.</summary>
    public ScalarType ActivationType => ComputeType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<DecoderLayer> Layers { get; }

    /// <summary>Bytes of weights held.</summary>
    public long WeightBytes => weights.Bytes;

    /// <summary>Token embeddings.</summary>
    /// <param name="tokenIds">(batch, n) int64 ids in [0, vocab).</param>
    /// <returns>(batch, n, hidden) in the compute type. The caller disposes it.</returns>
    public Tensor Embed(Tensor tokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        if (tokenIds.dim() != 2 || tokenIds.dtype != ScalarType.Int64) throw new ArgumentException($"token ids must be (batch, n) int64; got {tokenIds.dtype} [{string.Join(", ", tokenIds.shape)}].", nameof(tokenIds));
        using var scope = NewDisposeScope();
        CheckIds(tokenIds);
        var x = embedding.index_select(0, tokenIds.to(Device).flatten()).view(tokenIds.shape[0], tokenIds.shape[1], -1).to(ActivationType);
        if (Architecture.EmbeddingScale != 1)
        {
            // Gemma rounds √hidden to the weights' type before multiplying, as its own code does.
            using var scale = tensor(Architecture.EmbeddingScale, dtype: ComputeType, device: Device).to(ActivationType);
            x = x.mul_(scale);
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>The final norm of the last layer's output: the hidden states a user gets.</summary>
    public Tensor FinalNorm(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return RmsNorm.Apply(x, finalNorm, Architecture.RmsNormEps);
    }

    /// <summary>The final-norm hidden states of a whole sequence (positions 0 ..) on one device.</summary>
    /// <param name="tokenIds">(batch, n) int64 ids.</param>
    /// <returns>(batch, n, hidden). The caller disposes it.</returns>
    public Tensor Forward(Tensor tokenIds)
    {
        using var scope = NewDisposeScope();
        var x = Embed(tokenIds);
        foreach (var layer in Layers)
        {
            AttentionResult attention;
            using (var qkv = layer.ProjectQkv(x, 0)) attention = layer.Attend(qkv);
            using (attention)
            {
                var next = layer.Finish(x, attention.Output);
                x.Dispose();
                x = next;
            }
        }
        return FinalNorm(x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Next-token scores of hidden states: for each row i, log p(<paramref name="nextIds"/>[i]) and the
    /// entropy of the distribution, through the head (Gemma 2: logits soft-capped) in blocks of
    /// <see cref="HeadRowBlock"/> rows.
    /// </summary>
    /// <param name="hidden">(rows, hidden) final-norm hidden states.</param>
    /// <param name="nextIds">(rows) int64 ids of the token after each row.</param>
    /// <returns>(log-prob, entropy), each (rows) in nats, float32 (float64 when the model computes in float64). The caller disposes them.</returns>
    public (Tensor LogProb, Tensor Entropy) Score(Tensor hidden, Tensor nextIds)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(nextIds);
        if (hidden.dim() != 2 || nextIds.dim() != 1 || nextIds.shape[0] != hidden.shape[0])
            throw new ArgumentException($"scores need (rows, hidden) states and (rows) ids; got [{string.Join(", ", hidden.shape)}] and [{string.Join(", ", nextIds.shape)}].");
        CheckIds(nextIds);
        var rows = hidden.shape[0];
        // Logits in float32 at least, whatever the compute type: the softmax over a large vocabulary needs it.
        var scoreType = ComputeType == ScalarType.Float64 ? float64 : float32;
        var logProb = empty(rows, dtype: scoreType, device: Device);
        var entropy = empty(rows, dtype: scoreType, device: Device);
        var ids = nextIds.to(Device);
        for (long start = 0; start < rows; start += HeadRowBlock)
        {
            var length = Math.Min(HeadRowBlock, rows - start);
            using var scope = NewDisposeScope();
            var logits = MixedPrecision.Linear(hidden.narrow(0, start, length), head, null).to(scoreType);
            if (Architecture.FinalSoftCap is { } cap)
            {
                using var s = new ScalarScope();
                logits = logits.div_(s[cap]).tanh_().mul_(s[cap]);
            }
            var logSoftmax = logits.log_softmax(-1);
            logProb.narrow(0, start, length).copy_(logSoftmax.gather(1, ids.narrow(0, start, length).unsqueeze(1)).squeeze(1));
            entropy.narrow(0, start, length).copy_(logSoftmax.exp().mul_(logSoftmax).sum(-1).neg_());
        }
        ids.Dispose();
        return (logProb, entropy);
    }

    /// <inheritdoc />
    public void Dispose() => weights.Dispose();

    private void CheckIds(Tensor ids)
    {
        if (ids.numel() == 0) return;
        var (min, max) = (ids.min().item<long>(), ids.max().item<long>());
        if (min < 0 || max >= Architecture.VocabSize)
            throw new ArgumentOutOfRangeException(nameof(ids), $"token ids must be in [0, {Architecture.VocabSize}); got values in [{min}, {max}].");
    }
}
