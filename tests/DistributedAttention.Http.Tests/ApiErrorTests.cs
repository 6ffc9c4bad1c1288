using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DistributedAttention.Http.Tests;

/// <summary>
/// Bad requests get an RFC 7807 problem naming what is wrong, with the right status, and leave
/// the server serving: empty body, over the size limit, wrong content type, malformed
/// safetensors, unknown job, cancelling twice, unknown mechanism or option.
/// </summary>
[Collection(ApiClusterCollection.Name)]
public sealed class ApiErrorTests(ApiCluster api)
{
    [Theory]
    [InlineData("/v1/jobs/book", "text/plain", "", HttpStatusCode.BadRequest, "the upload is empty")]
    [InlineData("/v1/jobs/book", "image/png", "some text", HttpStatusCode.UnsupportedMediaType, "content type 'image/png' is not accepted here")]
    [InlineData("/v1/jobs/attention", "text/plain", "q k v", HttpStatusCode.UnsupportedMediaType, "content type 'text/plain' is not accepted here")]
    [InlineData("/v1/jobs/book?mechanism=magic", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "mechanism 'magic' is not one of full, window")]
    [InlineData("/v1/jobs/book?layerz=2", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "unknown option: 'layerz'")]
    [InlineData("/v1/jobs/book?layers=two", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "option 'layers' must be an integer (got 'two')")]
    [InlineData("/v1/jobs/book?heads=3&model-dim=16", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "invalid model")]
    [InlineData("/v1/jobs/book?window=-4", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "window '-4'")]
    [InlineData("/v1/jobs/book?window=x", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "'x' is not a non-negative integer")]
    [InlineData("/v1/jobs/book?shards=0", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "shards must be >= 1")]
    [InlineData("/v1/jobs/book?shards=-3", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "shards must be >= 1")]
    [InlineData("/v1/jobs/book?layers=0", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "layers must be >= 1")]
    [InlineData("/v1/jobs/book?layers=-2", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "layers must be >= 1")]
    [InlineData("/v1/jobs/book?chunk-mb=0", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "chunk-mb must be between 1 and 32")]
    [InlineData("/v1/jobs/book?chunk-mb=64", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "chunk-mb must be between 1 and 32")]
    [InlineData("/v1/jobs/book?dilation=0", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "dilation must be >= 1")]
    [InlineData("/v1/jobs/book?replicas=9", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "replicas must be between 0 and 8")]
    [InlineData("/v1/jobs/book?max-tokens=0", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "max-tokens must be >= 1")]
    [InlineData("/v1/jobs/book?mechanism=linformer&causal=true", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "Linformer is not defined for causal attention")]
    [InlineData("/v1/jobs/book?mechanism=xl&global-every=10", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "global-every applies to mechanism window and bigbird only; xl attention has no global tokens")]
    [InlineData("/v1/jobs/book", "text/plain", "   \n\t  \r\n ", HttpStatusCode.BadRequest, "contains no text")]
    [InlineData("/v1/jobs/book", "application/octet-stream", "\u0000\u0001\u0002\u0003\u0000\u0005\u0006\u0000\u0000\u0007\u0000\u0001\u0002\u0000\u0004\u0000", HttpStatusCode.BadRequest, "looks like binary data, not text")]
    [InlineData("/v1/jobs/book?shards=500", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "shards 500 is more than the book's")]
    [InlineData("/v1/jobs/book?encoding=klingon", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "encoding 'klingon' is not an encoding")]
    [InlineData("/v1/jobs/book?wire=fp8", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "wire 'fp8' is not one of fp32, fp16, bf16")]
    [InlineData("/v1/jobs/book?job-id=a%20b", "text/plain", "A book of a few words.", HttpStatusCode.BadRequest, "job-id 'a b' must be")]
    [InlineData("/v1/jobs/attention", "application/octet-stream", "\u0010\u0000\u0000\u0000\u0000\u0000\u0000\u0000{not json}", HttpStatusCode.BadRequest, "is not a valid safetensors file")]
    [InlineData("/v1/jobs/attention", "application/octet-stream", "\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u007f", HttpStatusCode.BadRequest, "is not a valid safetensors file")]
    public async Task A_bad_submission_gets_a_problem_naming_it(string url, string contentType, string body, HttpStatusCode status, string detail)
    {
        using var content = new ByteArrayContent(Encoding.Latin1.GetBytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await api.Http.PostAsync(url, content);
        await AssertProblemAsync(response, status, detail);
        Assert.Equal(HttpStatusCode.OK, (await api.Http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task A_gzip_compressed_book_is_refused_as_binary()
    {
        using var packed = new MemoryStream();
        await using (var gz = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            await gz.WriteAsync(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Call me Ishmael. Some years ago, never mind how long. ", 200))));
        using var content = new ByteArrayContent(packed.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await api.Http.PostAsync("/v1/jobs/book", content);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "looks like binary data, not text");
    }

    public static TheoryData<string, string, string> BadTensors => new()
    {
        { "dtype", "", "tensor 'q' is Float64; q, k and v must be F32" },
        { "rank", "", "tensor 'q' must be 4-D" },
        { "length", "", "same length n" },
        { "truncated", "", "safetensors file is truncated: the header describes 48 data bytes but only 38 follow it" },
        { "header", "", "is not a valid safetensors file" },
        { "overflow", "", "is not a valid safetensors file" },
        { "nan", "", "tensor 'v' holds 1 NaN or infinite value(s), the first (Infinity) at [0, 0, 1, 1]" },
        { "globals", "?mechanism=window&global-positions=0,9", "position 9 is outside the sequence of 2 positions" },
        { "globals-full", "?global-positions=0", "global-positions apply to mechanism window and bigbird only; full attention has no global tokens" },
        { "causal-linformer", "?mechanism=linformer&causal=true", "Linformer is not defined for causal attention" },
        { "shards", "?shards=0", "shards must be >= 1" },
    };

    [Theory]
    [MemberData(nameof(BadTensors))]
    public async Task A_bad_attention_input_gets_a_problem_naming_it(string kind, string query, string detail)
    {
        float[] Floats(int n) => [.. Enumerable.Range(0, n).Select(i => i * 0.25f)];
        (string, string, long[], byte[]) F32(string name, long[] shape, float[] data) => (name, "F32", shape, data.SelectMany(BitConverter.GetBytes).ToArray());
        var q = F32("q", [1, 1, 2, 2], Floats(4));
        var k = F32("k", [1, 1, 2, 2], Floats(4));
        var v = F32("v", [1, 1, 2, 2], Floats(4));
        byte[] body = kind switch
        {
            "dtype" => SafetensorsBytes(("q", "F64", [1, 1, 2, 2], new byte[32]), k, v),
            "rank" => SafetensorsBytes(F32("q", [1, 2, 2], Floats(4)), k, v),
            "length" => SafetensorsBytes(q, F32("k", [1, 1, 3, 2], Floats(6)), v),
            "truncated" => SafetensorsBytes(q, k, v)[..^10],
            "header" => [.. BitConverter.GetBytes(12L), .. Encoding.ASCII.GetBytes("[not, json] "), .. new byte[48]],
            "overflow" => SafetensorsBytes(("q", "F32", [1L << 40, 1L << 40, 1L << 40, 2], new byte[16]), k, v),
            "nan" => SafetensorsBytes(q, k, F32("v", [1, 1, 2, 2], [0, 1, 2, float.PositiveInfinity])),
            _ => SafetensorsBytes(q, k, v),
        };
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await api.Http.PostAsync($"/v1/jobs/attention{query}", content);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, detail);
        Assert.Equal(HttpStatusCode.OK, (await api.Http.GetAsync("/healthz")).StatusCode);
    }

    /// <summary>A safetensors file written by hand (header then data), so broken files can be made too.</summary>
    private static byte[] SafetensorsBytes(params (string Name, string DType, long[] Shape, byte[] Data)[] tensors)
    {
        var offset = 0L;
        var entries = new List<string>();
        foreach (var t in tensors)
        {
            entries.Add($"\"{t.Name}\":{{\"dtype\":\"{t.DType}\",\"shape\":[{string.Join(",", t.Shape)}],\"data_offsets\":[{offset},{offset + t.Data.Length}]}}");
            offset += t.Data.Length;
        }
        var header = Encoding.ASCII.GetBytes("{" + string.Join(",", entries) + "}");
        return [.. BitConverter.GetBytes((long)header.Length), .. header, .. tensors.SelectMany(t => t.Data)];
    }

    [Fact]
    public async Task A_safetensors_file_without_v_is_refused_naming_what_it_holds()
    {
        var header = """{"q":{"dtype":"F32","shape":[1,1,2,2],"data_offsets":[0,16]},"k":{"dtype":"F32","shape":[1,1,2,2],"data_offsets":[16,32]}}""";
        var bytes = BitConverter.GetBytes((long)header.Length).Concat(Encoding.ASCII.GetBytes(header)).Concat(new byte[32]).ToArray();
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await api.Http.PostAsync("/v1/jobs/attention", content);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "has no tensor 'v' (it holds: q, k)");
    }

    [Fact]
    public async Task An_upload_over_the_limit_gets_413_without_being_stored()
    {
        var big = new string('a', (int)ApiCluster.UploadLimit + 1000);
        using var content = new StringContent(big, Encoding.ASCII, "text/plain");
        using var response = await api.Http.PostAsync("/v1/jobs/book", content);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "larger than this server's limit");
        // A chunked upload (no length up front) is cut off at the limit too.
        using var chunked = new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes(big)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs/book") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var second = await api.Http.SendAsync(request);
        await AssertProblemAsync(second, HttpStatusCode.RequestEntityTooLarge, "larger than this server's limit");
        Assert.Empty(Directory.Exists(api.DataDirectory) ? Directory.GetFiles(api.DataDirectory, "*", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length > ApiCluster.UploadLimit) : []);
    }

    [Fact]
    public async Task Unknown_jobs_and_outputs_are_404_and_cancelling_twice_is_409()
    {
        await AssertProblemAsync(await api.Http.GetAsync("/v1/jobs/no-such-job"), HttpStatusCode.NotFound, "no job 'no-such-job'");
        await AssertProblemAsync(await api.Http.DeleteAsync("/v1/jobs/no-such-job"), HttpStatusCode.NotFound, "no job 'no-such-job'");
        await AssertProblemAsync(await api.Http.GetAsync("/v1/jobs/no-such-job/events"), HttpStatusCode.NotFound, "no job 'no-such-job'");

        // A job long enough to cancel while it runs.
        using var content = new StreamContent(File.OpenRead(ApiJobTests.SampleBook));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        using var submitted = await api.Http.PostAsync("/v1/jobs/book?layers=40&model-dim=16&heads=2&window=8&shards=3", content);
        var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await AssertProblemAsync(await api.Http.GetAsync($"/v1/jobs/{id}/outputs/hidden.safetensors"), HttpStatusCode.Conflict, "its outputs can be downloaded once it has completed");
        await AssertProblemAsync(await api.Http.GetAsync($"/v1/jobs/{id}/outputs/secret.txt"), HttpStatusCode.NotFound, "has no output 'secret.txt'");

        using var cancelled = await api.Http.DeleteAsync($"/v1/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        await AssertProblemAsync(await api.Http.DeleteAsync($"/v1/jobs/{id}"), HttpStatusCode.Conflict, "has already been cancelled");
        // The cluster knows it was cancelled too.
        Assert.Equal("cancelled", (await api.WaitAsync(id)).GetProperty("state").GetString());
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        using (response)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            Assert.Contains(detail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.True(response.Headers.Contains(ApiHeaders.TraceId), "every response names a trace id");
        }
    }
}
