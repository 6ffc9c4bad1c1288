using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Pipeline;
using DistributedAttention.Pipeline.Local;
using DistributedAttention.Text;

namespace DistributedAttention.Http.Tests;

/// <summary>Ten submissions at once, of different sizes and shard counts, all complete with hidden states equal to one device.</summary>
[Collection(ApiClusterCollection.Name)]
public sealed class ApiConcurrencyTests(ApiCluster api)
{
    [Fact]
    public async Task Ten_concurrent_book_jobs_all_complete_correctly()
    {
        var jobs = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            var tokens = 300 + 60 * i;
            using var content = new StreamContent(File.OpenRead(ApiJobTests.SampleBook));
            content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            using var response = await api.Http.PostAsync($"/v1/jobs/book?layers=2&model-dim=16&heads=2&window=12&max-tokens={tokens}&shards={1 + i % 4}&model-seed={i}", content);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (Id: (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!, Tokens: tokens);
        }));
        Assert.Equal(10, jobs.Select(j => j.Id).Distinct().Count());

        using var dir = new TempFolder();
        var book = BookReader.Read(ApiJobTests.SampleBook);
        foreach (var (id, tokens) in jobs)
        {
            Assert.Equal("completed", (await api.WaitAsync(id)).GetProperty("state").GetString());
            var path = Path.Combine(dir.Path, $"{id}.safetensors");
            await using (var file = File.Create(path))
            {
                await using var stream = await api.Http.GetStreamAsync($"/v1/jobs/{id}/outputs/hidden.safetensors");
                await stream.CopyToAsync(file);
            }
            var model = TransformerOptions.FromJson(Safetensors.LoadMetadata(path)["model_options"]);
            Assert.True(SingleDeviceVerification.Run(model, book.TokenIds[..tokens], path).WithinTolerance, $"job {id} ({tokens} tokens) differs from one device");
        }
    }
}
