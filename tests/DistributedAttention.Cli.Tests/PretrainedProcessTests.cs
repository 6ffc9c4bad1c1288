using System.Text.Json;
using DistributedAttention.Checkpoints;
using DistributedAttention.Core.IO;
using DistributedAttention.Model.Pretrained;
using DistributedAttention.Model.Tests;
using DistributedAttention.Testing.Processes;
using DistributedAttention.Text;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// <c>distattn process BOOK --model DIR</c> end to end on the three-silo cluster, with tiny random
/// checkpoints in the Hugging Face layout and hand-built tokenizer files of both kinds.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PretrainedProcessTests(ClusterFixture cluster)
{
    private const int Tokens = 500;

    private static string SampleBook => Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt");

    public static TheoryData<string, string> Models => new()
    {
        // Sliding and global layers alternating with soft-caps, and a SentencePiece-style tokenizer with byte fallback.
        { "gemma2", "sentencepiece" },
        // Full causal layers with grouped kv heads, and a byte-level tokenizer.
        { "llama", "byte-level" },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Writes_ids_hidden_states_log_probs_chapters_and_summary(string family, string tokenizer)
    {
        using var dir = new TempDir();
        var modelDir = MakeModel(dir, family, tokenizer);
        var output = dir.File("out");
        var run = await CliHarness.RunAsync(cluster, "process", SampleBook, "--model", modelDir, "--max-tokens", $"{Tokens}", "--shards", "3", "--verify", "--output", output);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error + run.Output);

        // The ids the checkpoint's tokenizer gives the book, BOS first.
        using var bookTokenizer = PretrainedTokenizer.Load(Path.Combine(modelDir, "tokenizer.json"));
        var expectedIds = bookTokenizer.Encode(BookReader.Read(SampleBook).Text).Tokens.Ids[..Tokens];
        using var tokens = SafetensorsReader.Open(Path.Combine(output, "tokens.safetensors"));
        using var inputIds = tokens.Read("input_ids");
        Assert.Equal(ScalarType.Int64, inputIds.dtype);
        Assert.Equal(expectedIds.Select(i => (long)i), inputIds.data<long>().ToArray());

        // Log-probs scored on the shards equal the model's head on one device.
        using var model = DecoderModel.Load(ModelFolder.Open(modelDir));
        using var ids = tensor(expectedIds.Select(i => (long)i).ToArray(), [1, Tokens]);
        using var hidden = model.Forward(ids).squeeze(0);
        var (logProb, entropy) = model.Score(hidden.narrow(0, 0, Tokens - 1), ids.squeeze(0).narrow(0, 1, Tokens - 1));
        using var scores = SafetensorsReader.Open(Path.Combine(output, "token-logprobs.safetensors"));
        using (logProb)
        using (entropy)
        using (var actualLogProb = scores.Read("logprob"))
        using (var actualEntropy = scores.Read("entropy"))
        {
            Assert.True(actualLogProb.allclose(logProb, rtol: 1e-4, atol: 1e-4), "log-probs differ from one device");
            Assert.True(actualEntropy.allclose(entropy, rtol: 1e-4, atol: 1e-4), "entropies differ from one device");
        }

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.True(root.GetProperty("verification").GetProperty("within_tolerance").GetBoolean());
        Assert.Equal(family, root.GetProperty("pretrained").GetProperty("family").GetString());
        Assert.True(root.GetProperty("pretrained").GetProperty("exact_token_offsets").GetBoolean());
        Assert.Equal(3, root.GetProperty("shards").GetInt32());
        var mechanisms = root.GetProperty("mechanism_per_layer").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(family == "gemma2" ? ["sliding 9", "full", "sliding 9", "full"] : ["full", "full"], mechanisms);
        var lm = root.GetProperty("language_model");
        Assert.Equal(Tokens - 1, lm.GetProperty("scored_tokens").GetInt64());
        Assert.Equal(-logProbMean(scores), lm.GetProperty("loss").GetDouble(), 4);

        // Every section has its loss; they cover the tokens once.
        using var chapters = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "chapters.json")));
        var sections = chapters.RootElement.EnumerateArray().ToList();
        Assert.Contains(sections, s => s.GetProperty("title").GetString() == "CHAPTER I. The Keeper");
        Assert.Equal(0, sections[0].GetProperty("token_start").GetInt64());
        Assert.Equal(Tokens, sections[^1].GetProperty("token_end").GetInt64());
        Assert.Equal(Tokens - 1, sections.Sum(s => s.TryGetProperty("scored_tokens", out var c) ? c.GetInt64() : 0));
        Assert.True(File.Exists(Path.Combine(output, "perplexity-by-section.png")));
        Assert.True(File.Exists(Path.Combine(output, "chapter-similarity.png")));
    }

    [Fact]
    public async Task Bf16_matmuls_run_on_the_shards_and_verify_against_bf16_on_one_device()
    {
        using var dir = new TempDir();
        var modelDir = MakeModel(dir, "gemma2", "sentencepiece");
        var output = dir.File("out");
        var run = await CliHarness.RunAsync(cluster, "process", SampleBook, "--model", modelDir, "--dtype", "bf16", "--max-tokens", $"{Tokens}", "--shards", "2", "--verify", "--output", output);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error + run.Output);
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "summary.json")));
        Assert.Equal("bfloat16", summary.RootElement.GetProperty("pretrained").GetProperty("compute_type").GetString());
        Assert.True(summary.RootElement.GetProperty("verification").GetProperty("within_tolerance").GetBoolean());

        var noModel = await CliHarness.RunAsync(null, "process", SampleBook, "--dtype", "bf16");
        Assert.Equal(ExitCodes.Usage, noModel.ExitCode);
        Assert.Contains("--dtype applies to a pretrained model", noModel.Error);
        var fp8 = await CliHarness.RunAsync(null, "process", SampleBook, "--model", modelDir, "--dtype", "fp8", "--output", dir.File("out8"));
        Assert.Equal(ExitCodes.Usage, fp8.ExitCode);
        Assert.Contains("--dtype 'fp8' is not one of fp32, bf16", fp8.Error);
    }

    [Fact]
    public async Task Refuses_flags_the_checkpoint_decides_and_a_folder_it_cannot_run()
    {
        using var dir = new TempDir();
        var modelDir = MakeModel(dir, "llama", "byte-level");
        var shape = await CliHarness.RunAsync(null, "process", SampleBook, "--model", modelDir, "--layers", "3", "--window", "8,8");
        Assert.Equal(ExitCodes.Usage, shape.ExitCode);
        Assert.Contains("drop --layers, --window", shape.Error);

        var missing = await CliHarness.RunAsync(null, "process", SampleBook, "--model", dir.File("nowhere"));
        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.Contains("does not exist", missing.Error);

        File.Delete(Path.Combine(modelDir, "tokenizer.json"));
        var noTokenizer = await CliHarness.RunAsync(null, "process", SampleBook, "--model", modelDir, "--output", dir.File("out"));
        Assert.Equal(ExitCodes.Usage, noTokenizer.ExitCode);
        Assert.Contains("has no tokenizer.json", noTokenizer.Error);
        Assert.DoesNotContain("   at ", noTokenizer.Error);
    }

    private static double logProbMean(SafetensorsReader scores)
    {
        using var logProb = scores.Read("logprob");
        return logProb.to(ScalarType.Float64).mean().item<double>();
    }

    private static string MakeModel(TempDir dir, string family, string tokenizer)
    {
        var modelDir = dir.File("model");
        // The tokenizers' vocabularies hold about 330 ids.
        object spec = family == "gemma2"
            ? new { family, hidden = 32, layers = 4, heads = 4, kv_heads = 2, head_dim = 8, ffn = 48, vocab = 352, sliding_window = 9, seed = 31, config = new { attn_logit_softcapping = 3.0, final_logit_softcapping = 8.0 } }
            : new { family, hidden = 32, layers = 2, heads = 4, kv_heads = 1, ffn = 48, vocab = 352, tied = false, seed = 32 };
        HuggingFaceReference.Make(modelDir, spec);
        HuggingFaceReference.MakeTokenizer(tokenizer, modelDir).Dispose();
        return modelDir;
    }
}
