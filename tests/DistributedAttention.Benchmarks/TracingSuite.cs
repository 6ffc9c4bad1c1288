using System.Diagnostics;
using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Observability;
using DistributedAttention.Pipeline;
using DistributedAttention.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace DistributedAttention.Benchmarks;

/// <summary>
/// What tracing costs: the same book job on the embedded 3-silo cluster with no tracing, and
/// with every span exported over OTLP/HTTP to a local receiver that reads and drops it (the
/// exporter's real serialization and HTTP work, no dashboard's). Runs alternate off/on.
/// </summary>
internal static class TracingSuite
{
    public static async Task RunAsync(string bookPath, int? maxTokens, int reps)
    {
        await using var receiver = await OtlpSink.StartAsync();
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Url);
        Environment.SetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
        await using var cluster = new LocalCluster(new LocalClusterOptions { LogLevel = LogLevel.None });
        await cluster.StartAsync(3, ["cpu"]);
        var settings = BookJobSettings.Default with { MaxTokens = maxTokens };
        var book = BookJob.Prepare(bookPath, Path.GetFileName(bookPath), settings);
        Console.WriteLine($"{book.Name}: {book.Tokens.Length:N0} tokens, {book.Model.Layers} layers, 3 shards on 3 in-process silos, {reps} runs each, alternating");
        var folder = Directory.CreateTempSubdirectory("distattn-bench-tracing-").FullName;
        var off = new List<double>();
        var on = new List<double>();
        var spans = new List<long>();
        SpanCounter? last = null;
        try
        {
            // Warm-up (JIT, the model cache, the exporter's first connection): not counted.
            await RunAsync(cluster, book, folder, null);
            using (var warm = TelemetrySetup.StartForProcess("distattn-bench")) await RunAsync(cluster, book, folder, warm);
            for (var r = 0; r < reps; r++)
            {
                off.Add(await RunAsync(cluster, book, folder, null));
                var counter = new SpanCounter();
                using (var telemetry = TelemetrySetup.StartForProcess("distattn-bench", t => t.AddProcessor(counter)))
                {
                    on.Add(await RunAsync(cluster, book, folder, telemetry));
                }
                spans.Add(counter.Count);
                last = counter;
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        var (medianOff, medianOn) = (Measure.Median(off), Measure.Median(on));
        Console.WriteLine();
        Console.WriteLine("| tracing | runs (s) | median s | spans per job | OTLP bytes received | extra wall time |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Console.WriteLine($"| off | {string.Join(", ", off.Select(s => s.ToString("F2")))} | {medianOff:F2} | 0 | 0 | |");
        if (last is not null) Console.WriteLine("spans of the last traced job, by operation: " + string.Join(", ", last.ByName.Select(p => $"{p.Name} {p.Count}")));
        Console.WriteLine($"| exported (OTLP/HTTP) | {string.Join(", ", on.Select(s => s.ToString("F2")))} | {medianOn:F2} | {Measure.Median(spans.Select(s => (double)s)):N0} | {receiver.Bytes:N0} | {(medianOn / medianOff - 1):P1} |");
    }

    private static async Task<double> RunAsync(LocalCluster cluster, PreparedBook book, string folder, ProcessTelemetry? telemetry)
    {
        var clock = Stopwatch.StartNew();
        var client = new JobClient(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(50) });
        await BookJob.RunAsync(client, book, new JobOptions(3), new ClusterInfo(3, "bench"), folder, null, null, default);
        // Exporting is part of the cost: what the batch processor still holds goes out before the clock stops.
        telemetry?.Flush(TimeSpan.FromSeconds(30));
        return clock.Elapsed.TotalSeconds;
    }

    private sealed class SpanCounter : BaseProcessor<Activity>
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> byName = new(StringComparer.Ordinal);
        private long count;

        public long Count => Interlocked.Read(ref count);

        /// <summary>Spans by operation name, most first.</summary>
        public IEnumerable<(string Name, long Count)> ByName => byName.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value));

        public override void OnEnd(Activity data)
        {
            Interlocked.Increment(ref count);
            if (data.Recorded) byName.AddOrUpdate(data.OperationName, 1, (_, c) => c + 1);
        }
    }

    /// <summary>An OTLP/HTTP receiver on loopback that reads every export and answers 200.</summary>
    private sealed class OtlpSink(WebApplication app, string url) : IAsyncDisposable
    {
        private static long bytes;

        public string Url => url;

        public long Bytes => Interlocked.Read(ref bytes);

        public static async Task<OtlpSink> StartAsync()
        {
            var builder = WebApplication.CreateBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.MapPost("/v1/{signal}", async (HttpContext context) =>
            {
                var buffer = new byte[1 << 16];
                for (int read; (read = await context.Request.Body.ReadAsync(buffer)) > 0;) Interlocked.Add(ref bytes, read);
                context.Response.ContentType = "application/x-protobuf";
            });
            await app.StartAsync();
            return new OtlpSink(app, app.Urls.First());
        }

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
