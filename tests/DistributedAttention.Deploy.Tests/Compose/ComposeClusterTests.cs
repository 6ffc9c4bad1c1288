using System.Text.Json;
using DistributedAttention.Contracts;
using DistributedAttention.Pipeline;
using DistributedAttention.Pipeline.Local;
using DistributedAttention.Testing.Processes;
using Xunit.Abstractions;

namespace DistributedAttention.Deploy.Tests.Compose;

/// <summary>
/// The repository's docker-compose.yml on a real Docker engine, with the images the build script
/// makes: the cluster comes up healthy; a book sent to the API equals the same book on one device
/// and its trace reaches the dashboard; <c>--scale silo=5</c> gives the next job 5 silos;
/// <c>docker stop</c> of a silo mid-job drains it (no recomputation); <c>docker kill</c> mid-job is
/// recovered (reported); a Redis restarted while idle serves the next job. One scenario, in order,
/// since each step reshapes the one cluster; the project is removed at the end.
/// </summary>
public sealed class ComposeClusterTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(5);
    private const string DashboardApiKey = "a-dashboard-api-key-for-the-test";
    private const string DashboardToken = "a-dashboard-login-token-for-the-test";
    private static string Book => Path.Combine(RepositoryPaths.Root, "..", "shared", "books", "pride-and-prejudice.txt");
    private readonly string folder = Directory.CreateTempSubdirectory("distattn-compose-").FullName;

    // The models volume: readable by the containers' user (a temporary subdirectory is the owner's alone).
    private readonly string models = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"distattn-compose-models-{Guid.NewGuid():N}")).FullName;

    private const string TinyModel = "tiny-gemma3";

    [Fact]
    public async Task The_compose_cluster_runs_books_equal_to_one_device_while_silos_scale_drain_and_die()
    {
        DistributedAttention.Core.Runtime.TorchRuntime.EnsureLoaded();
        var images = ImageNames.Load();
        var redisImage = Environment.GetEnvironmentVariable("DISTATTN_TEST_REDIS_IMAGE") ?? LocalImages.Redis;
        await Docker.RequireAsync(images.Cpu, images.Dashboard, redisImage);
        Assert.True(File.Exists(Book), $"the test book is missing: {Book}");
        var ports = FreePorts.Take(2);
        var apiKey = Guid.NewGuid().ToString("N");
        await using var compose = new ComposeProject(new Dictionary<string, string>
        {
            ["DISTATTN_API_KEY"] = apiKey,
            ["DISTATTN_DASHBOARD_API_KEY"] = DashboardApiKey,
            ["DISTATTN_DASHBOARD_TOKEN"] = DashboardToken,
            ["DISTATTN_IMAGE"] = images.Cpu,
            ["DISTATTN_IMAGE_DASHBOARD"] = images.Dashboard,
            ["DISTATTN_REDIS_IMAGE"] = redisImage,
            ["DISTATTN_API_PORT"] = $"{ports[0]}",
            ["DISTATTN_DASHBOARD_PORT"] = $"{ports[1]}",
            ["DISTATTN_MODELS_DIR"] = models,
        });
        try
        {
            await RunScenarioAsync(compose, new Uri($"http://127.0.0.1:{ports[0]}"), new Uri($"http://127.0.0.1:{ports[1]}"), apiKey);
        }
        catch
        {
            output.WriteLine(await compose.TailAsync());
            throw;
        }
    }

    private async Task RunScenarioAsync(ComposeProject compose, Uri apiAddress, Uri dashboardAddress, string apiKey)
    {
        // 1. Up and healthy: `up --wait` returns only once every health check passes.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await compose.UpAsync();
        output.WriteLine($"compose up --wait: {clock.Elapsed.TotalSeconds:F0} s");
        var silos = await compose.ContainersAsync("silo");
        Assert.Equal(3, silos.Count);
        foreach (var container in silos) Assert.Equal("healthy", await ComposeProject.InspectAsync(container, "{{.State.Health.Status}}"));
        // Every process of ours runs as the images' unprivileged user, not root.
        foreach (var service in new[] { "silo", "api", "dashboard" })
        {
            foreach (var container in await compose.ContainersAsync(service))
            {
                var user = (await Docker.CliAsync(TimeSpan.FromSeconds(30), "exec", container, "id", "-u")).EnsureSuccess($"id -u in {container}").Output.Trim();
                Assert.True(user == "10001", $"{container} runs as uid {user}, not 10001");
            }
        }
        using var api = new ClusterApi(apiAddress, apiKey);
        await api.WaitForSilosAsync(3, TimeSpan.FromSeconds(60));
        // Through the published port a request comes from the Docker network, not the API's loopback: no key, no job.
        using (var anonymous = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = apiAddress })
        using (var refused = await anonymous.GetAsync("/v1/jobs"))
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);

        // 2. A book through the API equals one device, and its trace is in the dashboard.
        var first = await RunBookAsync(api, maxTokens: 6_000, layers: 2);
        Assert.Equal(3, ClusterApi.Silos(first).Count);
        await CheckDashboardLoginAsync(dashboardAddress);
        using (var dashboard = new DashboardTelemetry(dashboardAddress, DashboardApiKey))
        {
            // The API's spans come first; the silos export theirs in batches (every 5 s): wait for a layer's.
            var traceId = first.GetProperty("traceId").GetString()!;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            IReadOnlyList<string> names;
            while (!(names = await dashboard.SpanNamesAsync(traceId, minimumSpans: 1, timeout: TimeSpan.FromSeconds(60))).Any(n => n.StartsWith("layer", StringComparison.Ordinal))
                && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
            Assert.Contains(names, n => n.StartsWith("layer", StringComparison.Ordinal));
            output.WriteLine($"trace {first.GetProperty("traceId").GetString()}: {names.Count} spans in the dashboard");
        }

        // 2b. A checkpoint of the models volume, named, on every silo at the same path: equal to one device.
        await RunPretrainedBookAsync(api);

        // 3. Scale out: the next job uses all five silos.
        await compose.UpAsync("--scale", "silo=5", "silo");
        await api.WaitForSilosAsync(5, TimeSpan.FromSeconds(120));
        var scaled = await RunBookAsync(api, maxTokens: 6_000, layers: 2);
        Assert.Equal(5, ClusterApi.Silos(scaled).Count);

        // 4. docker stop mid-job: the silo drains, the job finishes with no recomputation.
        var (stopped, stoppedView) = await InterruptAsync(api, compose, "stop");
        Assert.Equal(0, stoppedView.GetProperty("recoveries").GetArrayLength());
        Assert.Equal(0, stoppedView.GetProperty("coordinatorMoves").GetArrayLength());
        Assert.Equal("0", await ComposeProject.InspectAsync(stopped, "{{.State.ExitCode}}"));
        var logs = await ComposeProject.LogsAsync(stopped);
        Assert.Contains("silo drained:", logs, StringComparison.Ordinal);
        await api.WaitForSilosAsync(4, TimeSpan.FromSeconds(60));

        // 5. docker kill mid-job: the job completes equal, with the recovery reported.
        var (_, killedView) = await InterruptAsync(api, compose, "kill");
        Assert.NotEqual(0, killedView.GetProperty("recoveries").GetArrayLength());
        output.WriteLine($"recoveries after the kill: {killedView.GetProperty("recoveries")}");

        // 6. Redis restarted while idle: the cluster serves the next job.
        (await compose.RunAsync(TimeSpan.FromMinutes(2), "restart", "redis")).EnsureSuccess("compose restart redis");
        await compose.UpAsync("redis");
        var afterRedis = await RunBookAsync(api, maxTokens: 4_000, layers: 2);
        Assert.Equal("completed", afterRedis.GetProperty("state").GetString());
    }

    /// <summary>The dashboard's UI wants its login token and its read API its key; with them both open.</summary>
    private static async Task CheckDashboardLoginAsync(Uri dashboardAddress)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = dashboardAddress };
        using (var page = await http.GetAsync("/traces"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Redirect, page.StatusCode);
            Assert.StartsWith("/login", page.Headers.Location!.IsAbsoluteUri ? page.Headers.Location.PathAndQuery : page.Headers.Location.OriginalString, StringComparison.Ordinal);
        }
        using (var api = await http.GetAsync("/api/telemetry/traces"))
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, api.StatusCode);
        static bool SignedIn(HttpResponseMessage response) =>
            response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(".Aspire.Dashboard.Auth", StringComparison.Ordinal));
        using (var wrong = await http.GetAsync("/login?t=not-the-token"))
            Assert.False(SignedIn(wrong), "a wrong token signed in");
        using (var login = await http.GetAsync($"/login?t={DashboardToken}"))
            Assert.True(SignedIn(login), "the token did not sign in");
    }

    /// <summary>
    /// Runs a longer book; once a layer is done, stops (<c>docker stop</c>) or kills (<c>docker kill</c>) a
    /// silo that holds one of its shards; waits for the job and checks it equals one device.
    /// </summary>
    private async Task<(string Container, JsonElement View)> InterruptAsync(ClusterApi api, ComposeProject compose, string how)
    {
        const int maxTokens = 60_000, layers = 6;
        var id = await api.SubmitBookAsync(Book, Query(maxTokens, layers));
        var running = await api.WaitForLayersAsync(id, 1, JobTimeout);
        var shardSilos = ClusterApi.Silos(running);
        string? victim = null;
        foreach (var container in await compose.ContainersAsync("silo"))
        {
            var address = await ComposeProject.AddressOfAsync(container);
            if (shardSilos.Any(s => s.StartsWith($"S{address}:", StringComparison.Ordinal))) victim = container;
        }
        Assert.NotNull(victim);
        output.WriteLine($"docker {how} {victim[..12]} after {running.GetProperty("layersCompleted").GetInt32()} layer(s) of job {id}");
        // docker stop waits for the container's own grace period (compose: stop_grace_period) while it drains.
        var interrupt = Docker.CliAsync(TimeSpan.FromMinutes(4), how, victim);
        var view = await api.WaitForCompletionAsync(id, JobTimeout);
        (await interrupt).EnsureSuccess($"docker {how}");
        await CheckOneDeviceAsync(api, id, maxTokens, layers);
        return (victim, view);
    }

    private async Task<JsonElement> RunBookAsync(ClusterApi api, int maxTokens, int layers)
    {
        var id = await api.SubmitBookAsync(Book, Query(maxTokens, layers));
        var view = await api.WaitForCompletionAsync(id, JobTimeout);
        await CheckOneDeviceAsync(api, id, maxTokens, layers);
        return view;
    }

    private static string Query(int maxTokens, int layers) =>
        $"max-tokens={maxTokens}&layers={layers}&model-dim=32&heads=2&ffn-dim=128&model-seed=3&mechanism=window&window=16";

    /// <summary>Downloads the job's hidden states and compares them with the same model run here on one device.</summary>
    private async Task CheckOneDeviceAsync(ClusterApi api, string id, int maxTokens, int layers)
    {
        var hidden = Path.Combine(folder, $"{id}.safetensors");
        await api.DownloadAsync(id, BookJobFiles.Hidden, hidden);
        var attention = new MechanismRequest { Mechanism = "window", Window = "16" }.Build(AttentionKind.Window, defaultWindow: 128, [], prefix: "");
        var settings = new BookJobSettings(layers, 32, 2, 128, 3, 0, maxTokens, attention);
        var book = BookJob.Prepare(Book, "pride-and-prejudice.txt", settings);
        var check = SingleDeviceVerification.Run(book.Model, book.Tokens, hidden);
        output.WriteLine($"job {id}: max |cluster - one device| = {check.MaxAbsDiff:E2}");
        Assert.True(check.WithinTolerance, $"job {id} differs from one device: max abs diff {check.MaxAbsDiff:E3}, worst excess {check.WorstExcess:E3}");
        File.Delete(hidden);
    }

    /// <summary>A tiny Gemma 3 checkpoint (five sliding layers to one global) named model=NAME; its hidden states equal it run here on one device.</summary>
    private async Task RunPretrainedBookAsync(ClusterApi api)
    {
        var directory = Path.Combine(models, TinyModel);
        HuggingFaceReference.Make(directory, new { family = "gemma3", hidden = 32, layers = 6, heads = 2, kv_heads = 1, head_dim = 16, ffn = 48, vocab = 352, sliding_window = 33, seed = 51 });
        HuggingFaceReference.MakeTokenizer("byte-level", directory).Dispose();
        var id = await api.SubmitBookAsync(Book, $"model={TinyModel}&max-tokens=3000");
        var view = await api.WaitForCompletionAsync(id, JobTimeout);
        Assert.Equal("completed", view.GetProperty("state").GetString());
        var hidden = Path.Combine(folder, $"{id}.safetensors");
        await api.DownloadAsync(id, BookJobFiles.Hidden, hidden);
        var book = PretrainedBookJob.Prepare(Book, "pride-and-prejudice.txt", directory, maxTokens: 3000);
        var check = PretrainedVerification.Run(book.Model, book.Tokens, hidden);
        output.WriteLine($"pretrained job {id}: max |cluster - one device| = {check.MaxAbsDiff:E2}");
        Assert.True(check.WithinTolerance, $"pretrained job {id} differs from one device: max abs diff {check.MaxAbsDiff:E3}");
    }

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
        Directory.Delete(models, recursive: true);
    }
}
