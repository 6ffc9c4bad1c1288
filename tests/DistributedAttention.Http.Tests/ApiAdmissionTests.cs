using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DistributedAttention.Http.Tests;

/// <summary>Two silos of 100 MiB and no queue behind the API: every job that does not fit at once is refused.</summary>
public sealed class BusyApiCluster : IAsyncLifetime
{
    private WebApplication? app;

    public LocalCluster Cluster { get; } = new(new LocalClusterOptions { MemoryBudgetBytes = 100L << 20, MaxQueuedJobs = 0 });

    public HttpClient Http { get; private set; } = new();

    /// <summary>The API's own job registry.</summary>
    public ApiJobs Registry => app!.Services.GetRequiredService<ApiJobs>();

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"distattn-api-busy-{Guid.NewGuid():N}");

    public async Task InitializeAsync()
    {
        TorchRuntime.EnsureLoaded();
        await Cluster.StartAsync(2);
        app = await ApiServer.StartAsync(new GrainClusterAccess(Cluster.Client, "2 test silos"), "http://127.0.0.1:0", "distattn-api-busy", o =>
        {
            o.DataDirectory = DataDirectory;
            o.MaxTokens = 5_000;
        });
        Http = new HttpClient { BaseAddress = new Uri(ApiServer.Addresses(app)[0]), Timeout = TimeSpan.FromMinutes(3) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (app is not null) await app.DisposeAsync();
        await Cluster.DisposeAsync();
        if (Directory.Exists(DataDirectory)) Directory.Delete(DataDirectory, recursive: true);
    }
}

/// <summary>
/// Admission control at the API: 429 with Retry-After while the cluster's memory is taken and
/// its queue is full, 422 for a job no silo's budget can hold, nothing left behind by either,
/// and the same submission taken once the memory is free.
/// </summary>
public sealed class ApiAdmissionTests(BusyApiCluster api) : IClassFixture<BusyApiCluster>
{
    private static readonly string Book = string.Concat(Enumerable.Repeat("It was the best of times, it was the worst of times. ", 120));

    [Fact]
    public async Task A_job_that_does_not_fit_while_the_queue_is_full_gets_429_and_runs_once_memory_is_free()
    {
        // A job admitted through the grain API, never uploaded: it holds about 70 MiB on each silo.
        var holder = api.Cluster.Client.GetGrain<IJobGrain>($"holder-{Guid.NewGuid():N}");
        await holder.SubmitAsync(new JobRequest(new AttentionWork(new AttentionSpec { Kind = AttentionKind.Window }, new AttentionShape(1, 4, 11_000, 32, 32)), new JobOptions(2)));

        using (var refused = await PostBookAsync("busy-book"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(10), refused.Headers.RetryAfter?.Delta);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("the cluster is busy: 0 job(s) already wait for memory, the queue's limit; try again later.", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        // Nothing of the refused job stays: no job, no folder, and its id is free again.
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.GetAsync("/v1/jobs/busy-book")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(api.DataDirectory, "busy-book")));

        await holder.CancelAsync();
        using var accepted = await PostBookAsync("busy-book");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var view = await WaitAsync("busy-book");
        Assert.Equal("completed", view.GetProperty("state").GetString());
        Assert.True(view.GetProperty("memoryBytes").GetInt64() > 0);

        // Ended jobs go after the retention (24 h by default): folder and entry; the cluster still answers their status.
        Assert.Empty(api.Registry.Sweep(DateTime.UtcNow));
        Assert.Contains("busy-book", api.Registry.Sweep(DateTime.UtcNow + TimeSpan.FromHours(25)));
        Assert.False(Directory.Exists(Path.Combine(api.DataDirectory, "busy-book")));
        Assert.Equal(HttpStatusCode.NotFound, (await api.Http.GetAsync("/v1/jobs/busy-book/outputs/summary.json")).StatusCode);
        var fromCluster = await api.Http.GetFromJsonAsync<JsonElement>("/v1/jobs/busy-book");
        Assert.Equal("completed", fromCluster.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_book_over_the_token_limit_gets_400_naming_it_and_max_tokens_takes_its_beginning()
    {
        using var content = new StringContent(string.Concat(Enumerable.Repeat(Book, 8)), Encoding.UTF8, "text/plain");
        using var response = await api.Http.PostAsync("/v1/jobs/book?job-id=long-book&shards=2", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        Assert.Matches("the book has \\d+ tokens, more than this server's limit of 5000 \\(DistributedAttention:Api:MaxTokens\\); send max-tokens=5000", detail);
        Assert.False(Directory.Exists(Path.Combine(api.DataDirectory, "long-book")));
    }

    [Fact]
    public void Api_settings_name_an_unwritable_data_folder_and_a_bad_retention()
    {
        var validator = new ApiOptionsValidator();
        var failure = validator.Validate(null, new ApiOptions { DataDirectory = "/proc/version/jobs", JobRetention = TimeSpan.FromSeconds(5) }).FailureMessage;
        Assert.Contains("DataDirectory '/proc/version/jobs' cannot be written:", failure, StringComparison.Ordinal);
        Assert.Contains("JobRetention must be between 00:01:00 and 365.00:00:00 (got 00:00:05)", failure, StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new ApiOptions { DataDirectory = api.DataDirectory }).Succeeded);
    }

    [Fact]
    public async Task A_job_too_large_for_any_silos_budget_gets_422_naming_the_budget()
    {
        using var response = await PostBookAsync("too-large", "&model-dim=1024&heads=8");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("more than its budget of 100 MiB", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(api.DataDirectory, "too-large")));
    }

    private async Task<HttpResponseMessage> PostBookAsync(string id, string extra = "")
    {
        using var content = new StringContent(Book, Encoding.UTF8, "text/plain");
        return await api.Http.PostAsync($"/v1/jobs/book?job-id={id}&shards=2{extra}", content);
    }

    private async Task<JsonElement> WaitAsync(string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            var view = await api.Http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
            if (view.GetProperty("state").GetString() is "completed" or "failed" or "cancelled" || DateTime.UtcNow > deadline) return view;
            await Task.Delay(50);
        }
    }
}
