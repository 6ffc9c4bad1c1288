using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.IO;
using DistributedAttention.Diagnostics;
using DistributedAttention.Pipeline;
using DistributedAttention.Pipeline.Local;
using DistributedAttention.Testing.Processes;
using static TorchSharp.torch;

namespace DistributedAttention.Http.Tests;

/// <summary>
/// Jobs through the HTTP API on real Kestrel and three silos: a book (text and multipart) with
/// progress over Server-Sent Events and downloads equal to the command line's job code and to
/// one device; an attention call equal to one device; one trace from the HTTP request down.
/// </summary>
[Collection(ApiClusterCollection.Name)]
public sealed class ApiJobTests(ApiCluster api)
{
    public static string SampleBook => Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt");

    private const string BookQuery = "layers=2&model-dim=16&heads=2&window=24&max-tokens=3000&shards=4";

    [Fact]
    public async Task A_book_job_streams_progress_and_its_outputs_equal_the_command_lines_and_one_device()
    {
        using var content = new StreamContent(File.OpenRead(SampleBook));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        using var response = await api.Http.PostAsync($"/v1/jobs/book?{BookQuery}", content);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var view = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = view.GetProperty("id").GetString()!;
        Assert.Equal($"/v1/jobs/{id}", response.Headers.Location!.OriginalString);
        var traceId = Assert.Single(response.Headers.GetValues(ApiHeaders.TraceId));
        Assert.Equal(traceId, view.GetProperty("traceId").GetString());

        // Server-Sent Events: statuses as the job goes, ending with one 'end' event.
        var events = await ReadEventsAsync(id);
        Assert.Equal("end", events[^1].Event);
        Assert.All(events[..^1], e => Assert.Equal("status", e.Event));
        var final = events[^1].Data;
        Assert.Equal("completed", final.GetProperty("state").GetString());
        Assert.Equal(2, final.GetProperty("layersCompleted").GetInt32());
        Assert.Equal(4, final.GetProperty("shards").GetArrayLength());
        var layersSeen = events.Select(e => e.Data.GetProperty("layersCompleted").GetInt32()).ToArray();
        Assert.Equal(layersSeen.Order(), layersSeen);

        // The downloads equal what the command line's job code writes for the same book and options.
        using var dir = new TempFolder();
        foreach (var name in BookJobFiles.All)
        {
            using var download = await api.Http.GetAsync($"/v1/jobs/{id}/outputs/{name}", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            await using var file = File.Create(Path.Combine(dir.Path, "api-" + name));
            await download.Content.CopyToAsync(file);
        }
        var settings = JobRequests.Book(Options(BookQuery));
        var book = BookJob.Prepare(SampleBook, "the-north-light.txt", settings);
        var cli = await BookJob.RunAsync(api.Jobs, book, new Abstractions.JobOptions(4), new ClusterInfo(3, "test"), Path.Combine(dir.Path, "cli"), null, null, default);
        AssertSameTensor(cli.HiddenPath, Path.Combine(dir.Path, "api-" + BookJobFiles.Hidden), "hidden");
        AssertSameTensor(Path.Combine(dir.Path, "cli", BookJobFiles.ChapterVectors), Path.Combine(dir.Path, "api-" + BookJobFiles.ChapterVectors), "chapters");
        Assert.Equal(File.ReadAllText(Path.Combine(dir.Path, "cli", BookJobFiles.Chapters)), File.ReadAllText(Path.Combine(dir.Path, "api-" + BookJobFiles.Chapters)));
        // …and one device.
        Assert.True(SingleDeviceVerification.Run(book.Model, book.Tokens, Path.Combine(dir.Path, "api-" + BookJobFiles.Hidden)).WithinTolerance);
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "api-" + BookJobFiles.Summary))).RootElement;
        Assert.Equal(traceId, summary.GetProperty("trace_id").GetString());

        // One trace from the HTTP request down to every shard's compute.
        var trace = await TraceAsync(traceId, spans => spans.Any(a => a.OperationName == SpanNames.Run));
        var request = Assert.Single(trace, a => a.Parent is null && a.ParentSpanId == default);
        Assert.Equal("Microsoft.AspNetCore", request.Source.Name);
        Assert.Contains(trace, a => a.OperationName == SpanNames.Job && a.ParentSpanId == request.SpanId);
        Assert.Contains(trace, a => a.OperationName == SpanNames.ClientPhase && a.DisplayName == "tokenize");
        Assert.Equal(4 * 3, trace.Count(a => a.OperationName == SpanNames.ShardCompute));
    }

    [Fact]
    public async Task A_multipart_upload_takes_its_options_from_a_json_field()
    {
        using var form = new MultipartFormDataContent
        {
            { new StreamContent(File.OpenRead(SampleBook)), "book", "book.txt" },
            { new StringContent("""{"layers": 1, "model-dim": 16, "heads": 2, "max-tokens": 800, "mechanism": "window", "window": "8,8"}"""), "options" },
        };
        using var response = await api.Http.PostAsync("/v1/jobs/book?shards=2", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var view = await api.WaitAsync(id);
        Assert.Equal("completed", view.GetProperty("state").GetString());
        Assert.Equal(1, view.GetProperty("layers").GetInt32());
        Assert.Equal(2, view.GetProperty("shards").GetArrayLength());
        var summary = await api.Http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}/outputs/summary.json");
        Assert.Equal(800, summary.GetProperty("tokens").GetInt64());
        Assert.StartsWith("window (8,8), dilation 1, ", summary.GetProperty("mechanism_per_layer")[0].GetString());
    }

    [Fact]
    public async Task A_utf16_book_without_a_byte_order_mark_needs_its_encoding_named()
    {
        var wide = System.Text.Encoding.Unicode.GetBytes(await File.ReadAllTextAsync(SampleBook));
        ByteArrayContent Body()
        {
            var body = new ByteArrayContent(wide);
            body.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            return body;
        }
        using (var refused = await api.Http.PostAsync("/v1/jobs/book?layers=1&model-dim=16&heads=2&max-tokens=300", Body()))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("name the encoding explicitly", await refused.Content.ReadAsStringAsync());
        }
        using var response = await api.Http.PostAsync("/v1/jobs/book?layers=1&model-dim=16&heads=2&max-tokens=300&encoding=utf-16", Body());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal("completed", (await api.WaitAsync(id)).GetProperty("state").GetString());
        var summary = await api.Http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}/outputs/summary.json");
        Assert.Equal("utf-16", summary.GetProperty("encoding").GetString());
        Assert.Equal(300, summary.GetProperty("tokens").GetInt64());
    }

    [Fact]
    public async Task The_callers_traceparent_makes_the_job_part_of_the_callers_trace()
    {
        const string callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs/book?layers=1&model-dim=16&heads=2&window=4&max-tokens=200")
        {
            Content = new StringContent(string.Join("\n", Enumerable.Repeat("A few words of a book.", 40)), System.Text.Encoding.UTF8, "text/plain"),
        };
        request.Headers.Add("traceparent", $"00-{callerTrace}-00f067aa0ba902b7-01");
        using var response = await api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal(callerTrace, Assert.Single(response.Headers.GetValues(ApiHeaders.TraceId)));
        var view = await api.WaitAsync(id);
        Assert.Equal(callerTrace, view.GetProperty("traceId").GetString());
        var trace = await TraceAsync(callerTrace, spans => spans.Any(a => a.OperationName == SpanNames.Run));
        Assert.Contains(trace, a => a.OperationName == SpanNames.ShardCompute);
    }

    [Fact]
    public async Task An_attention_job_equals_one_device()
    {
        using var q = randn(1, 2, 200, 8);
        using var k = randn(1, 2, 200, 8);
        using var v = randn(1, 2, 200, 8);
        using var dir = new TempFolder();
        var input = Path.Combine(dir.Path, "qkv.safetensors");
        Safetensors.Save(input, new Dictionary<string, Tensor> { ["q"] = q, ["k"] = k, ["v"] = v });
        using var content = new StreamContent(File.OpenRead(input));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await api.Http.PostAsync("/v1/jobs/attention?mechanism=window&window=5,3&global-positions=0,77&shards=3", content);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal("completed", (await api.WaitAsync(id)).GetProperty("state").GetString());

        var output = Path.Combine(dir.Path, "out.safetensors");
        await File.WriteAllBytesAsync(output, await api.Http.GetByteArrayAsync($"/v1/jobs/{id}/outputs/{AttentionJob.OutputFile}"));
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 5, WindowRight = 3, GlobalPositions = [0, 77] };
        using var expected = SingleDeviceAttention.Forward(spec, q, k, v);
        var actual = Safetensors.Load(output);
        try
        {
            Assert.True(actual["o"].allclose(expected.Output, rtol: 1e-5, atol: 1e-6), "o differs from one device");
            Assert.True(actual["lse"].allclose(expected.Lse!, rtol: 1e-5, atol: 1e-6), "lse differs from one device");
        }
        finally
        {
            foreach (var t in actual.Values) t.Dispose();
        }
    }

    [Fact]
    public async Task Probes_metrics_and_the_api_description_answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await api.Http.GetAsync("/healthz")).StatusCode);
        var ready = await api.Http.GetFromJsonAsync<JsonElement>("/readyz");
        Assert.Equal(3, ready.GetProperty("silos").GetInt32());
        var openapi = await api.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = openapi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Superset(new HashSet<string> { "/v1/jobs/book", "/v1/jobs/attention", "/v1/jobs/{id}", "/v1/jobs/{id}/events", "/v1/jobs/{id}/outputs/{name}" }, paths.ToHashSet());
        var page = await api.Http.GetStringAsync("/docs/index.html");
        Assert.Contains("swagger", page, StringComparison.OrdinalIgnoreCase);
        // Metrics of a job that ran (the tests share the cluster; one may still be running, so poll).
        string metrics = "";
        for (var i = 0; i < 100 && !metrics.Contains("distattn_tokens_processed", StringComparison.Ordinal); i++)
        {
            if (i == 0) await SubmitSmallBookAsync();
            await Task.Delay(100);
            metrics = await api.Http.GetStringAsync("/metrics");
        }
        foreach (var name in new[] { "distattn_tokens_processed", "distattn_bytes_exchanged", "distattn_job_duration_seconds", "distattn_layer_duration_seconds", "distattn_tokens_pending", "distattn_jobs" })
            Assert.Contains(name, metrics, StringComparison.Ordinal);
    }

    private async Task SubmitSmallBookAsync()
    {
        using var content = new StringContent(string.Join("\n", Enumerable.Repeat("A short line of a small book.", 50)), System.Text.Encoding.UTF8, "text/plain");
        using var response = await api.Http.PostAsync("/v1/jobs/book?layers=1&model-dim=16&heads=2&window=4", content);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    internal static OptionBag Options(string query)
    {
        var bag = new OptionBag();
        foreach (var pair in query.Split('&')) bag.Add(pair.Split('=')[0], pair.Split('=')[1]);
        return bag;
    }

    private async Task<List<(string Event, JsonElement Data)>> ReadEventsAsync(string id)
    {
        using var stream = await api.Http.GetStreamAsync($"/v1/jobs/{id}/events");
        using var reader = new StreamReader(stream);
        var events = new List<(string, JsonElement)>();
        string? name = null;
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2)) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add((name!, JsonDocument.Parse(line[6..]).RootElement.Clone()));
        }
        return events;
    }

    private async Task<System.Diagnostics.Activity[]> TraceAsync(string traceId, Func<System.Diagnostics.Activity[], bool> complete)
    {
        for (var i = 0; i < 100; i++)
        {
            var trace = api.Trace(traceId);
            if (complete(trace)) return trace;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"trace {traceId} was not exported completely.");
    }

    private static void AssertSameTensor(string expectedPath, string actualPath, string name)
    {
        using var expected = SafetensorsReader.Open(expectedPath);
        using var actual = SafetensorsReader.Open(actualPath);
        using var e = expected.Read(name);
        using var a = actual.Read(name);
        Assert.Equal(e.shape, a.shape);
        Assert.True(e.allclose(a, rtol: 0, atol: 0), $"{name} downloaded through the API differs from the command line's");
    }
}

/// <summary>A temporary folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("distattn-api-test-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
