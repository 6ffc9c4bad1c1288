using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DistributedAttention.Client.Tests;
using DistributedAttention.Formats;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Api.Tests;

/// <summary>
/// The API host without a tensor library (<c>distattn-api</c>) in front of two <c>distattn silo</c>
/// processes: an attention job through it equals attention written out in loops, and neither
/// libtorch nor any silo or tensor assembly is in its build output.
/// </summary>
public sealed class SlimApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(120);
    private readonly List<ChildProcess> processes = [];
    private readonly int[] ports = FreePorts.Take(5);
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromMinutes(2) };

    public async Task InitializeAsync()
    {
        processes.Add(ChildProcess.Start("silo 0", "silo", "--port", $"{ports[0]}", "--gateway-port", $"{ports[1]}"));
        await processes[0].WaitForLineAsync("silo up:", Start);
        processes.Add(ChildProcess.Start("silo 1", "silo", "--port", $"{ports[2]}", "--gateway-port", $"{ports[3]}", "--primary", $"127.0.0.1:{ports[0]}"));
        await processes[1].WaitForLineAsync("silo up:", Start);
        var environment = new Dictionary<string, string?>
        {
            ["DistributedAttention__Client__Gateways__0"] = $"127.0.0.1:{ports[1]}",
            ["DistributedAttention__Client__Gateways__1"] = $"127.0.0.1:{ports[3]}",
            ["DistributedAttention__Api__DataDirectory"] = Directory.CreateTempSubdirectory("distattn-api-tests-").FullName,
        };
        var url = $"http://127.0.0.1:{ports[4]}";
        processes.Add(ChildProcess.StartProgram("api", ChildProcess.DotnetHost(), environment, AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "distattn-api.dll"), "--urls", url));
        await processes[2].WaitForLineAsync("api up:", Start);
        http.BaseAddress = new Uri(url);
        // Ready once both silos are members.
        var clock = Stopwatch.StartNew();
        while ((await http.GetAsync("/readyz")).StatusCode != HttpStatusCode.OK || (await http.GetFromJsonAsync<JsonElement>("/readyz")).GetProperty("silos").GetInt32() < 2)
        {
            if (clock.Elapsed > Start) throw new TimeoutException("the API did not see both silos.");
            await Task.Delay(200);
        }
    }

    public Task DisposeAsync()
    {
        http.Dispose();
        foreach (var process in Enumerable.Reverse(processes)) process.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_attention_job_through_the_slim_api_equals_attention_written_out()
    {
        var random = new Random(7);
        HostTensor Random(long n, long d) => new([1, 2, n, d], [.. Enumerable.Range(0, (int)(2 * n * d)).Select(_ => (float)(random.NextDouble() * 2 - 1))]);
        var (q, k, v) = (Random(80, 8), Random(80, 8), Random(80, 4));
        var input = Path.Combine(Path.GetTempPath(), $"distattn-api-{Guid.NewGuid():N}.safetensors");
        using (var writer = new SafetensorsStreamWriter(input, [SafetensorsDeclaration.Float32("k", k.Shape), SafetensorsDeclaration.Float32("q", q.Shape), SafetensorsDeclaration.Float32("v", v.Shape)]))
        {
            writer.Write("k", k);
            writer.Write("q", q);
            writer.Write("v", v);
            writer.Complete();
        }
        try
        {
            using var content = new StreamContent(File.OpenRead(input));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var response = await http.PostAsync("/v1/jobs/attention?mechanism=full&shards=2", content);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            var clock = Stopwatch.StartNew();
            string? state;
            while ((state = (await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}")).GetProperty("state").GetString()) is not ("completed" or "failed" or "cancelled"))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"job {id} did not end.");
                await Task.Delay(100);
            }
            Assert.Equal("completed", state);

            var output = input + ".out";
            await File.WriteAllBytesAsync(output, await http.GetByteArrayAsync($"/v1/jobs/{id}/outputs/attention.safetensors"));
            using var file = SafetensorsFile.Open(output);
            var (o, lse) = DenseAttention.Full(q, k, v);
            Assert.InRange(o.Zip(file.ReadFloat32("o").Data, (e, a) => Math.Abs(e - a)).Max(), 0, 1e-4);
            Assert.InRange(lse.Zip(file.ReadFloat32("lse").Data, (e, a) => Math.Abs(e - a)).Max(), 0, 1e-4);
            File.Delete(output);
        }
        finally
        {
            File.Delete(input);
        }

        // Nothing of the tensor library or the silo side came into this process.
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "").ToArray();
        foreach (var forbidden in new[] { "TorchSharp", "DistributedAttention.Core", "DistributedAttention.Model", "DistributedAttention.Grains", "DistributedAttention.Silo" })
            Assert.DoesNotContain(forbidden, loaded);
    }

    [Fact]
    public void The_slim_api_build_output_holds_no_libtorch_and_no_silo_or_tensor_assemblies()
    {
        var files = Directory.GetFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToArray();
        Assert.Contains("distattn-api.dll", files);
        Assert.DoesNotContain(files, f => f!.Contains("torch", StringComparison.OrdinalIgnoreCase));
        foreach (var forbidden in new[] { "DistributedAttention.Core.dll", "DistributedAttention.Model.dll", "DistributedAttention.Training.dll", "DistributedAttention.Grains.dll", "DistributedAttention.Silo.dll", "DistributedAttention.Pipeline.Local.dll" })
            Assert.DoesNotContain(forbidden, files);
    }
}
