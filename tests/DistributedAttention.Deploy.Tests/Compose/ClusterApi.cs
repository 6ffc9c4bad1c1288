using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace DistributedAttention.Deploy.Tests.Compose;

/// <summary>The compose cluster's HTTP API as a user reaches it: the API container's port on loopback.</summary>
internal sealed class ClusterApi(Uri address, string apiKey) : IDisposable
{
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false })
    {
        BaseAddress = address,
        Timeout = TimeSpan.FromMinutes(2),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", apiKey) },
    };

    /// <summary>Active silos as the API's /readyz reports them (0 while not ready).</summary>
    public async Task<int> ReadySilosAsync()
    {
        using var response = await http.GetAsync("/readyz");
        if (response.StatusCode != HttpStatusCode.OK) return 0;
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("silos").GetInt32();
    }

    /// <summary>Waits (bounded) until /readyz reports <paramref name="silos"/> active silos.</summary>
    public async Task WaitForSilosAsync(int silos, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var seen = 0;
        while ((seen = await ReadySilosAsync()) != silos)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the API saw {seen} active silo(s) after {timeout.TotalSeconds:F0} s; expected {silos}.");
            await Task.Delay(500);
        }
    }

    /// <summary>Submits <paramref name="book"/> as text with <paramref name="query"/> options; returns the job id.</summary>
    public async Task<string> SubmitBookAsync(string book, string query)
    {
        using var content = new StreamContent(File.OpenRead(book));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        using var response = await http.PostAsync($"/v1/jobs/book?{query}", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /v1/jobs/book answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The job's view (GET /v1/jobs/{id}).</summary>
    public async Task<JsonElement> JobAsync(string id) => await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");

    /// <summary>Polls until the job has completed <paramref name="layers"/> layers while still running; fails if it ended first.</summary>
    public async Task<JsonElement> WaitForLayersAsync(string id, int layers, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var view = await JobAsync(id);
            var state = view.GetProperty("state").GetString();
            if (state == "running" && view.GetProperty("layersCompleted").GetInt32() >= layers) return view;
            Assert.True(state is "queued" or "running", $"job {id} ended ({state}) before layer {layers}: make the job longer. {view}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {id} had not completed {layers} layer(s) after {timeout.TotalSeconds:F0} s: {view}");
            await Task.Delay(100);
        }
    }

    /// <summary>Polls until the job ends; fails unless it completed.</summary>
    public async Task<JsonElement> WaitForCompletionAsync(string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var view = await JobAsync(id);
            var state = view.GetProperty("state").GetString();
            if (state is "completed") return view;
            Assert.True(state is "queued" or "running", $"job {id} ended {state}: {view}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {id} did not end within {timeout.TotalSeconds:F0} s: {view}");
            await Task.Delay(200);
        }
    }

    /// <summary>Downloads one output of a completed job into <paramref name="path"/>.</summary>
    public async Task DownloadAsync(string id, string name, string path)
    {
        using var response = await http.GetAsync($"/v1/jobs/{id}/outputs/{name}", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var file = File.Create(path);
        await response.Content.CopyToAsync(file);
    }

    /// <summary>The distinct silos a job's shards ran on.</summary>
    public static IReadOnlyList<string> Silos(JsonElement view) =>
        [.. view.GetProperty("shards").EnumerateArray().Select(s => s.GetProperty("silo").GetString()!).Distinct()];

    public void Dispose() => http.Dispose();
}
