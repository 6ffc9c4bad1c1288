using DistributedAttention.Abstractions;
using DistributedAttention.Checkpoints;
using DistributedAttention.Client;
using DistributedAttention.Model.Pretrained;
using DistributedAttention.Testing;
using DistributedAttention.Testing.Processes;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// Pretrained checkpoints (tiny, random, in the Hugging Face layout) as whole jobs on three silos
/// over TCP: hidden states, next-token log-probs and entropies equal the model on one device.
/// </summary>
public sealed class PretrainedJobTests(JobCluster fixture) : IClassFixture<JobCluster>, IDisposable
{
    private const int Vocab = 101;
    private readonly string root = Path.Combine(Path.GetTempPath(), "distattn-pretrained-jobs-" + Guid.NewGuid().ToString("N"));

    private static readonly Dictionary<string, object> Specs = new()
    {
        // Sliding and global layers alternating, soft-capped scores and logits, one kv head.
        ["gemma2"] = new { family = "gemma2", hidden = 32, layers = 4, heads = 4, kv_heads = 1, head_dim = 8, ffn = 48, vocab = Vocab, sliding_window = 11, seed = 21, config = new { attn_logit_softcapping = 2.0, final_logit_softcapping = 5.0 } },
        // Full causal layers on the load-balanced ring, grouped kv heads, llama3 RoPE scaling, untied head.
        ["llama3"] = new { family = "llama", hidden = 32, layers = 2, heads = 4, kv_heads = 2, ffn = 48, vocab = Vocab, tied = false, seed = 22, config = new { rope_scaling = new { rope_type = "llama3", factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_position_embeddings = 64 } } },
    };

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in Specs.Keys)
        {
            foreach (var shards in new[] { 1, 2, 3, 7 }) data.Add(name, shards);
        }
        return data;
    }

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Pretrained_job_equals_single_device(string name, int shards)
    {
        var folder = ModelFolder.Open(Make(name));
        var ids = Enumerable.Range(0, 211).Select(i => (i * 29 + i / 7) % Vocab).ToArray();
        using var model = DecoderModel.Load(folder);
        using var tokens = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]);
        using var expected = model.Forward(tokens).squeeze(0);
        var (logProb, entropy) = model.Score(expected.narrow(0, 0, ids.Length - 1), tokens.squeeze(0).narrow(0, 1, ids.Length - 1));
        using var _ = logProb;
        using var __ = entropy;

        var sink = new InMemoryHiddenStates();
        var result = await fixture.Jobs.RunPretrainedAsync(PretrainedModel.Of(folder), ids, new JobOptions(shards, DistributedJobTests.UnevenSizes(ids.Length, shards), ChunkBytes: 4096), sink, null, default);

        using var hidden = tensor(sink.Data, [ids.Length, folder.Architecture.HiddenSize]);
        Close(expected, hidden, $"{name} over {shards} shards: hidden");
        using var actualLogProb = tensor(result.LogProb.Data, [ids.Length - 1]);
        using var actualEntropy = tensor(result.Entropy.Data, [ids.Length - 1]);
        Close(logProb, actualLogProb, $"{name} over {shards} shards: log-probs");
        Close(entropy, actualEntropy, $"{name} over {shards} shards: entropy");
        Assert.Equal(folder.Architecture.Layers.Count, result.Status.Layers);
        // The silos of this process share one copy of the weights; each silo that ran a shard holds it (idle silos' caches keep it after earlier runs).
        var (copies, handles) = Runtime.SharedDecoders.Of(folder.Fingerprint);
        Assert.Equal(1, copies);
        Assert.InRange(handles, Math.Min(shards, 3), 3);
        if (shards > 1) Assert.True(result.Status.BytesByCollective.Values.Sum() > 0, "no ring traffic was counted.");
    }

    [Fact]
    public async Task A_silo_whose_copy_of_the_folder_differs_refuses_the_job_saying_so()
    {
        var folder = ModelFolder.Open(Make("llama3"));
        var other = PretrainedModel.Of(folder) with { Fingerprint = new string('0', 64) };
        var ids = Enumerable.Range(0, 40).Select(i => i % Vocab).ToArray();
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => fixture.Jobs.RunPretrainedAsync(other, ids, new JobOptions(2), new InMemoryHiddenStates(), null, default));
        Assert.Contains("is not the job's", e.Message);

        // Silos keep a model they read by its fingerprint: a folder not read yet, and not there.
        var missing = PretrainedModel.Of(folder) with { Directory = Path.Combine(root, "nowhere"), Fingerprint = new string('1', 64) };
        var gone = await Assert.ThrowsAsync<InvalidDataException>(() => fixture.Jobs.RunPretrainedAsync(missing, ids, new JobOptions(2), new InMemoryHiddenStates(), null, default));
        Assert.Contains("no such model folder", gone.Message);
    }

    /// <summary>max |actual − expected| ≤ 1e-5 · max(1, max |expected|): the same fp32 math, only sums in another order.</summary>
    private static void Close(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        var (e, a) = (expected.to(float64), actual.to(float64));
        Assert.True(a.isfinite().all().item<bool>(), $"{what}: not finite");
        var diff = a.sub(e).abs().max().item<double>();
        var bound = 1e-5 * Math.Max(1, e.abs().max().item<double>());
        Assert.True(diff <= bound, $"{what}: max |diff| {diff:E3} > {bound:E3}");
    }

    private string Make(string name)
    {
        var dir = Path.Combine(root, name);
        if (!File.Exists(Path.Combine(dir, "config.json"))) HuggingFaceReference.Make(dir, Specs[name]);
        return dir;
    }
}
