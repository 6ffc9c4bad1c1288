using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using DistributedAttention.Client;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using Microsoft.AspNetCore.Builder;
using OpenTelemetry.Trace;
using Orleans.Dashboard;

namespace DistributedAttention.Http.Tests;

/// <summary>
/// Three silos in this process (real sockets) and the HTTP API on real Kestrel over loopback,
/// its spans exported in memory. <see cref="UploadLimit"/> is small so 413 is cheap to reach.
/// </summary>
public sealed class ApiCluster : IAsyncLifetime
{
    public const long UploadLimit = 2 << 20;

    public const string DashboardToken = "a-test-token-of-some-length";

    private readonly LocalCluster cluster = new();
    private WebApplication? app;

    public List<Activity> Spans { get; } = [];

    public HttpClient Http { get; private set; } = new();

    /// <summary>The cluster's job client, for runs of the same job code without the API.</summary>
    public Client.JobClient Jobs => new(cluster.Client);

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"distattn-api-tests-{Guid.NewGuid():N}");

    /// <summary>The models directory: <see cref="TinyModel"/>, a tiny Gemma 2 checkpoint with a SentencePiece-style tokenizer.</summary>
    public string ModelsDirectory { get; } = Path.Combine(Path.GetTempPath(), $"distattn-api-models-{Guid.NewGuid():N}");

    /// <summary>The model the book tests name.</summary>
    public const string TinyModel = "tiny-gemma2";

    public async Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        var tiny = Path.Combine(ModelsDirectory, TinyModel);
        Testing.Processes.HuggingFaceReference.Make(tiny, new { family = "gemma2", hidden = 32, layers = 2, heads = 2, kv_heads = 1, head_dim = 16, ffn = 48, vocab = 352, sliding_window = 17, seed = 41 });
        Testing.Processes.HuggingFaceReference.MakeTokenizer("sentencepiece", tiny).Dispose();
        await cluster.StartAsync(3, ["cpu", "cpu", "cpu"]);
        app = await ApiServer.StartAsync(new GrainClusterAccess(cluster.Client, "3 test silos"), "http://127.0.0.1:0", "distattn-api-tests", o =>
        {
            o.DataDirectory = DataDirectory;
            o.MaxUploadBytes = UploadLimit;
            o.ProgressInterval = TimeSpan.FromMilliseconds(50);
            o.DashboardToken = DashboardToken;
            o.ModelsDirectory = ModelsDirectory;
        }, t => t.AddInMemoryExporter(Spans), host: builder => builder.AddDistributedAttentionClient(o =>
        {
            // The web host is a client of the cluster too, so it can show the Orleans dashboard.
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.SiloOptions[0].ServiceId;
            o.Gateways = [.. cluster.SiloOptions.Select(s => $"127.0.0.1:{s.GatewayPort}")];
        }, client => client.AddDashboard()), clusterDashboard: true);
        Http = new HttpClient { BaseAddress = new Uri(ApiServer.Addresses(app)[0]), Timeout = TimeSpan.FromMinutes(3) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (app is not null) await app.DisposeAsync();
        await cluster.DisposeAsync();
        if (Directory.Exists(DataDirectory)) Directory.Delete(DataDirectory, recursive: true);
        if (Directory.Exists(ModelsDirectory)) Directory.Delete(ModelsDirectory, recursive: true);
    }

    /// <summary>Polls the job until it has ended (bounded).</summary>
    public async Task<JsonElement> WaitAsync(string id, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var view = await Http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
            if (view.GetProperty("state").GetString() is "completed" or "failed" or "cancelled") return view;
            if (clock.Elapsed > (timeout ?? TimeSpan.FromMinutes(3))) throw new TimeoutException($"job {id} did not end: {view}");
            await Task.Delay(50);
        }
    }

    /// <summary>The spans of <paramref name="traceId"/> exported so far.</summary>
    public Activity[] Trace(string traceId)
    {
        lock (Spans) return [.. Spans.Where(a => a.TraceId.ToHexString() == traceId)];
    }
}

[CollectionDefinition(Name)]
public sealed class ApiClusterCollection : ICollectionFixture<ApiCluster>
{
    public const string Name = "api cluster";
}
