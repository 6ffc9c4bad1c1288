using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DistributedAttention.Checkpoints;
using DistributedAttention.Core.IO;
using DistributedAttention.Model.Pretrained;
using DistributedAttention.Pipeline;
using DistributedAttention.Text;
using static TorchSharp.torch;

namespace DistributedAttention.Http.Tests;

/// <summary>
/// A book through a pretrained checkpoint over HTTP: <c>model=NAME</c> names a folder of the
/// server's models directory (never a path); the outputs equal the checkpoint on one device.
/// </summary>
[Collection(ApiClusterCollection.Name)]
public sealed class ApiPretrainedTests(ApiCluster api)
{
    private const int Tokens = 400;

    [Fact]
    public async Task A_book_through_a_named_model_gives_its_ids_and_log_probs()
    {
        using var content = new StreamContent(File.OpenRead(ApiJobTests.SampleBook));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        using var response = await api.Http.PostAsync($"/v1/jobs/book?model={ApiCluster.TinyModel}&max-tokens={Tokens}&shards=3", content);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var final = await api.WaitAsync(id);
        Assert.Equal("completed", final.GetProperty("state").GetString());

        using var dir = new TempFolder();
        foreach (var name in new[] { BookJobFiles.TokenIds, BookJobFiles.TokenLogProbs, BookJobFiles.Summary })
        {
            using var download = await api.Http.GetAsync($"/v1/jobs/{id}/outputs/{name}");
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            await File.WriteAllBytesAsync(Path.Combine(dir.Path, name), await download.Content.ReadAsByteArrayAsync());
        }

        var folder = ModelFolder.Open(Path.Combine(api.ModelsDirectory, ApiCluster.TinyModel));
        using var tokenizer = PretrainedTokenizer.Load(folder.TokenizerPath!);
        var ids = tokenizer.Encode(BookReader.Read(ApiJobTests.SampleBook).Text).Tokens.Ids[..Tokens];
        using (var reader = SafetensorsReader.Open(Path.Combine(dir.Path, BookJobFiles.TokenIds)))
        using (var written = reader.Read("input_ids"))
        {
            Assert.Equal(ids.Select(i => (long)i), written.data<long>().ToArray());
        }
        using var model = DecoderModel.Load(folder);
        using var input = tensor(ids.Select(i => (long)i).ToArray(), [1, Tokens]);
        using var hidden = model.Forward(input).squeeze(0);
        var (logProb, entropy) = model.Score(hidden.narrow(0, 0, Tokens - 1), input.squeeze(0).narrow(0, 1, Tokens - 1));
        using (logProb)
        using (entropy)
        using (var reader = SafetensorsReader.Open(Path.Combine(dir.Path, BookJobFiles.TokenLogProbs)))
        using (var written = reader.Read("logprob"))
        {
            Assert.True(written.allclose(logProb, rtol: 1e-4, atol: 1e-4), "log-probs differ from one device");
        }
        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir.Path, BookJobFiles.Summary)));
        Assert.Equal("gemma2", summary.RootElement.GetProperty("pretrained").GetProperty("family").GetString());
    }

    [Fact]
    public async Task Lists_the_models_and_refuses_paths_unknown_names_and_flags_the_model_decides()
    {
        var models = await api.Http.GetFromJsonAsync<JsonElement>("/v1/models");
        var tiny = Assert.Single(models.EnumerateArray());
        Assert.Equal(ApiCluster.TinyModel, tiny.GetProperty("name").GetString());
        Assert.Equal("gemma2", tiny.GetProperty("family").GetString());
        Assert.True(tiny.GetProperty("hasTokenizer").GetBoolean());

        foreach (var (query, message) in new[]
        {
            ("model=..%2F..%2Fetc", "is not a model name"),
            ("model=nope", $"there is no model 'nope'; there are {ApiCluster.TinyModel}"),
            ($"model={ApiCluster.TinyModel}&layers=3&window=8", "drop layers, window"),
        })
        {
            using var content = new StringContent("It was a dark night.", System.Text.Encoding.UTF8, "text/plain");
            using var response = await api.Http.PostAsync($"/v1/jobs/book?{query}", content);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(message, problem.GetProperty("detail").GetString());
            Assert.DoesNotContain(api.ModelsDirectory, problem.GetProperty("detail").GetString());
        }
    }
}
