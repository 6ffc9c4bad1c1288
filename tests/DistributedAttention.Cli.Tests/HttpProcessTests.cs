using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DistributedAttention.Model.Tests;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Cli.Tests;

/// <summary>
/// The HTTP API as users start it: <c>distattn serve</c> on its embedded cluster, and two
/// <c>distattn silo --http</c> processes each serving the API for their cluster. A job goes
/// in over HTTP and comes out complete; SIGTERM stops each process cleanly.
/// </summary>
public sealed partial class HttpProcessTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(40);
    private readonly ChildProcesses children = new();
    private readonly TempDir dir = new();

    private static string SampleBook => Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt");

    [Fact]
    public async Task Serve_runs_a_book_submitted_over_http_and_stops_on_sigterm()
    {
        var serve = Spawn("distattn serve", "serve", "--port", "0", "--silos", "2", "--data-dir", dir.File("data"));
        var line = await serve.WaitForLineAsync("serving on ", StartTimeout);
        using var http = new HttpClient { BaseAddress = new Uri(Url().Match(line).Value), Timeout = TimeSpan.FromMinutes(2) };

        var id = await SubmitAsync(http);
        var view = await WaitAsync(http, id);
        Assert.Equal("completed", view.GetProperty("state").GetString());
        var summary = await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}/outputs/summary.json");
        Assert.Equal(2, summary.GetProperty("silos").GetInt32());
        Assert.Equal(view.GetProperty("traceId").GetString(), summary.GetProperty("trace_id").GetString());

        serve.Terminate();
        Assert.Equal(0, await serve.WaitForExitAsync(StopTimeout));
        Assert.Contains("stopped.", serve.Output);
    }

    [Fact]
    public async Task Silos_serving_http_run_a_job_and_each_answers_for_the_cluster()
    {
        var ports = FreePorts.Take(4);
        var primary = Spawn("silo 0", "silo", "--port", $"{ports[0]}", "--gateway-port", $"{ports[1]}", "--http", "0");
        var first = await primary.WaitForLineAsync("silo up:", StartTimeout);
        var second = Spawn("silo 1", "silo", "--port", $"{ports[2]}", "--gateway-port", $"{ports[3]}", "--primary", $"127.0.0.1:{ports[0]}", "--http", "0");
        var other = await second.WaitForLineAsync("silo up:", StartTimeout);
        using var api0 = new HttpClient { BaseAddress = new Uri(Url().Match(first).Value), Timeout = TimeSpan.FromMinutes(2) };
        using var api1 = new HttpClient { BaseAddress = new Uri(Url().Match(other).Value), Timeout = TimeSpan.FromMinutes(2) };
        for (var i = 0; i < 100 && (await api1.GetFromJsonAsync<JsonElement>("/readyz")).GetProperty("silos").GetInt32() < 2; i++) await Task.Delay(200);

        var id = await SubmitAsync(api1);
        Assert.Equal("completed", (await WaitAsync(api1, id)).GetProperty("state").GetString());
        // The other silo's API did not submit it but finds it on the cluster.
        var elsewhere = await api0.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
        Assert.Equal("completed", elsewhere.GetProperty("state").GetString());
        Assert.Equal(2, elsewhere.GetProperty("shards").EnumerateArray().Select(s => s.GetProperty("silo").GetString()).Distinct().Count());

        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(StopTimeout));
        primary.Terminate();
        Assert.Equal(0, await primary.WaitForExitAsync(StopTimeout));
    }

    [Fact]
    public async Task Serve_started_before_its_cluster_waits_for_it_answers_503_while_no_silo_is_up_and_serves_again_when_one_returns()
    {
        // As compose or Kubernetes may start them: the API first, the silo it names a little later.
        var ports = FreePorts.Take(2);
        var serve = Spawn("distattn serve", "serve", "--port", "0", "--cluster", $"127.0.0.1:{ports[1]}", "--wait-for-cluster", "300", "--data-dir", dir.File("data"));
        // The waiting lines go to stderr.
        await UntilAsync(() => serve.Output.Contains("waiting for the cluster (attempt 1", StringComparison.Ordinal), StartTimeout, () => serve.Output);
        Assert.DoesNotContain("serving on", serve.Output);
        var silo = Spawn("silo", "silo", "--port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        await silo.WaitForLineAsync("silo up:", StartTimeout);
        var line = await serve.WaitForLineAsync("serving on ", StartTimeout);
        using var http = new HttpClient { BaseAddress = new Uri(Url().Match(line).Value), Timeout = TimeSpan.FromMinutes(2) };
        Assert.Equal("completed", (await WaitAsync(http, await SubmitAsync(http))).GetProperty("state").GetString());

        // The only silo dies: the API stays up, not ready, and refuses jobs with 503 naming why.
        silo.Crash();
        await silo.WaitForExitAsync(StopTimeout);
        await UntilAsync(async () => (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(60), () => serve.Output);
        using (var content = new StringContent("A book of a few words."))
        using (var refused = await http.PostAsync("/v1/jobs/book", content))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("no silo of the cluster answers", await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);

        // A silo on the same address again: the API finds it and serves the next job.
        var again = Spawn("silo again", "silo", "--port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        await again.WaitForLineAsync("silo up:", StartTimeout);
        await UntilAsync(async () => (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(120), () => serve.Output);
        Assert.Equal("completed", (await WaitAsync(http, await SubmitAsync(http))).GetProperty("state").GetString());

        serve.Terminate();
        Assert.Equal(0, await serve.WaitForExitAsync(StopTimeout));
        again.Terminate();
        Assert.Equal(0, await again.WaitForExitAsync(StopTimeout));
    }

    [Fact]
    public async Task An_api_process_lost_mid_job_leaves_the_job_to_the_cluster_and_a_new_api_reports_and_cancels_it()
    {
        var ports = FreePorts.Take(2);
        var silo = Spawn("silo", "silo", "--port", $"{ports[0]}", "--gateway-port", $"{ports[1]}");
        await silo.WaitForLineAsync("silo up:", StartTimeout);
        var first = Spawn("first api", "serve", "--port", "0", "--cluster", $"127.0.0.1:{ports[1]}", "--data-dir", dir.File("data"));
        using var before = new HttpClient { BaseAddress = new Uri(Url().Match(await first.WaitForLineAsync("serving on ", StartTimeout)).Value) };
        // Long enough (many layers) to be mid-run when its API dies.
        var id = await SubmitAsync(before, "layers=3000&model-dim=16&heads=2&window=16&shards=2");
        await UntilAsync(async () => (await before.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}")).GetProperty("layersCompleted").GetInt32() >= 1, TimeSpan.FromMinutes(2), () => first.Output);
        first.Crash();
        await first.WaitForExitAsync(StopTimeout);

        var second = Spawn("second api", "serve", "--port", "0", "--cluster", $"127.0.0.1:{ports[1]}", "--data-dir", dir.File("data"));
        using var after = new HttpClient { BaseAddress = new Uri(Url().Match(await second.WaitForLineAsync("serving on ", StartTimeout)).Value), Timeout = TimeSpan.FromMinutes(2) };
        // The job lives on in the cluster: the new API reports it from there, has none of its outputs, and can cancel it.
        var view = await after.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
        Assert.Equal("running", view.GetProperty("state").GetString());
        using (var output = await after.GetAsync($"/v1/jobs/{id}/outputs/summary.json"))
            Assert.Equal(HttpStatusCode.NotFound, output.StatusCode);
        using (var cancel = await after.DeleteAsync($"/v1/jobs/{id}"))
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        await UntilAsync(async () => (await after.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}")).GetProperty("state").GetString() == "cancelled", TimeSpan.FromMinutes(1), () => second.Output);

        // The cluster serves the next job through the new API.
        Assert.Equal("completed", (await WaitAsync(after, await SubmitAsync(after))).GetProperty("state").GetString());
        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(StopTimeout));
        silo.Terminate();
        Assert.Equal(0, await silo.WaitForExitAsync(StopTimeout));
    }

    [Fact]
    public async Task Serve_gives_up_on_a_cluster_that_never_answers_with_exit_code_1()
    {
        var port = FreePorts.Take(1)[0];
        var serve = Spawn("distattn serve", "serve", "--port", "0", "--cluster", $"127.0.0.1:{port}", "--wait-for-cluster", "6");
        Assert.Equal(1, await serve.WaitForExitAsync(StartTimeout));
        Assert.Contains("waiting for the cluster (attempt 1", serve.Output);
        Assert.Contains($"nothing listens there (connection refused) (127.0.0.1:{port})", serve.Output);
        Assert.DoesNotContain("serving on", serve.Output);
    }

    public void Dispose()
    {
        children.Dispose();
        dir.Dispose();
    }

    private static async Task<string> SubmitAsync(HttpClient http, string options = "layers=2&model-dim=16&heads=2&window=16&shards=2")
    {
        using var content = new StreamContent(File.OpenRead(SampleBook));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        using var response = await http.PostAsync($"/v1/jobs/book?{options}", content);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> WaitAsync(HttpClient http, string id)
    {
        for (var i = 0; i < 1200; i++)
        {
            var view = await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
            if (view.GetProperty("state").GetString() is "completed" or "failed" or "cancelled") return view;
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {id} did not end.");
    }

    private static Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe) => UntilAsync(() => Task.FromResult(condition()), timeout, describe);

    private static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"not so within {timeout.TotalSeconds:F0} s. Output:\n{describe()}");
            await Task.Delay(200);
        }
    }

    private ChildProcess Spawn(string name, params string[] args) => children.Start(name, args);

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+")]
    private static partial Regex Url();
}
