using System.Text.Json;
using DistributedAttention.Abstractions;
using DistributedAttention.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace DistributedAttention.Http;

/// <summary>The job routes under /v1/jobs: submit, status, events, outputs, cancel.</summary>
public static class JobEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // How long a submission waits for the cluster to admit, queue or refuse the job before answering 202 anyway.
    private static readonly TimeSpan SubmissionWait = TimeSpan.FromSeconds(60);

    // What a refused client is told to wait before trying again.
    private const int RetryAfterSeconds = 10;

    /// <summary>Maps the job routes.</summary>
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Beyond loopback only with the API key (ApiKeys).
        var jobs = app.MapGroup("/v1/jobs").WithTags("Jobs").AddEndpointFilter(ApiKeys.RequireAsync);
        jobs.MapPost("/book", SubmitBookAsync)
            .WithSummary("Run a book through the transformer on the cluster")
            .WithDescription("Body: the book as text/plain (or application/octet-stream), or multipart/form-data with the book as a file and an optional 'options' field (a JSON object). Options as query parameters, named like distattn process's flags: layers, model-dim, heads, ffn-dim, model-seed, global-every, max-tokens, encoding, mechanism, window, dilation, shards, wire, replicas, job-id…; or model=NAME, a model folder of the server's models directory (GET /v1/models), which decides the shape and attention.")
            .Produces<JobView>(StatusCodes.Status202Accepted).ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(429).ProducesProblem(503);
        jobs.MapPost("/attention", SubmitAttentionAsync)
            .WithSummary("Run one attention call on q, k, v on the cluster")
            .WithDescription("Body: a safetensors file holding F32 tensors q, k, v of shape (batch, heads, n, d) (application/octet-stream), or multipart/form-data with it as a file. Options as query parameters, named like distattn attention's flags: mechanism, window, causal, global-positions, shards…")
            .Produces<JobView>(StatusCodes.Status202Accepted).ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422).ProducesProblem(429).ProducesProblem(503);
        app.MapGet("/v1/models", (IOptions<ApiOptions> options) => TypedResults.Ok(PretrainedModels.List(options.Value.ModelsDirectory)))
            .WithTags("Models").AddEndpointFilter(ApiKeys.RequireAsync)
            .WithSummary("The model folders a book job can name (model=NAME), with their family and size");
        jobs.MapGet("/", (ApiJobs registry) => TypedResults.Ok(registry.All.Select(JobView.Of).ToArray()))
            .WithSummary("Jobs this server submitted, newest first");
        jobs.MapGet("/{id}", GetAsync).WithSummary("A job's status, progress per shard and layer, recoveries, bytes and trace id")
            .Produces<JobView>().ProducesProblem(404);
        jobs.MapGet("/{id}/events", EventsAsync).WithSummary("Server-Sent Events: the job's status on every change, then an 'end' event")
            .Produces(200, contentType: "text/event-stream").ProducesProblem(404);
        jobs.MapGet("/{id}/outputs/{name}", Output).WithSummary("Download an output (streamed from disk; ranges supported)")
            .Produces(200, contentType: "application/octet-stream").ProducesProblem(404).ProducesProblem(409);
        jobs.MapDelete("/{id}", CancelAsync).WithSummary("Cancel a job")
            .Produces<JobView>().ProducesProblem(404).ProducesProblem(409);
        return app;
    }

    private static Task<IResult> SubmitBookAsync(HttpContext context, ApiJobs registry, IOptions<ApiOptions> options) =>
        SubmitAsync(context, registry, options.Value, "book.txt", ["text/plain", "application/octet-stream"], async (id, folder, input, bag) =>
        {
            if (bag.Text("model") is { } model) return await SubmitPretrainedBookAsync(context, registry, options.Value, id, folder, input, bag, model);
            var settings = JobRequests.Book(bag);
            var split = JobRequests.Split(bag);
            bag.RejectUnknown();
            var book = BookJob.Prepare(input, $"{id}.txt", settings);
            if (book.Tokens.Length > options.Value.MaxTokens)
                throw new ArgumentException($"the book has {book.Tokens.Length} tokens, more than this server's limit of {options.Value.MaxTokens} (DistributedAttention:Api:MaxTokens); send max-tokens={options.Value.MaxTokens} to process its beginning.");
            var plan = split.Build(await RequireSilosAsync(registry, context.RequestAborted), prefix: "");
            if (plan.Shards > book.Tokens.Length) throw new ArgumentException($"shards {plan.Shards} is more than the book's {book.Tokens.Length} tokens; every shard needs at least one.");
            return registry.StartBook(id, folder, book, plan);
        });

    /// <summary>A book through model folder <paramref name="name"/> of the models directory.</summary>
    private static async Task<ApiJob> SubmitPretrainedBookAsync(HttpContext context, ApiJobs registry, ApiOptions options, string id, string folder, string input, OptionBag bag, string name)
    {
        var decided = bag.Given(JobRequests.ModelDecides);
        if (decided.Count > 0) throw new ArgumentException($"model={name} runs the checkpoint as its config.json defines it; drop {string.Join(", ", decided)}.");
        var directory = PretrainedModels.Resolve(options.ModelsDirectory, name);
        var maxTokens = bag.Int("max-tokens");
        var encoding = bag.Text("encoding");
        var computeType = ValueParsers.ComputeType(bag.Text("dtype") ?? "fp32", "dtype");
        var split = JobRequests.Split(bag);
        bag.RejectUnknown();
        var book = PretrainedBookJob.Prepare(input, $"{id}.txt", directory, maxTokens, encoding) with { ComputeType = computeType };
        if (book.Tokens.Length > options.MaxTokens)
            throw new ArgumentException($"the book has {book.Tokens.Length} tokens, more than this server's limit of {options.MaxTokens} (DistributedAttention:Api:MaxTokens); send max-tokens={options.MaxTokens} to process its beginning.");
        var plan = split.Build(await RequireSilosAsync(registry, context.RequestAborted), prefix: "");
        if (plan.Shards > book.Tokens.Length) throw new ArgumentException($"shards {plan.Shards} is more than the book's {book.Tokens.Length} tokens; every shard needs at least one.");
        return registry.StartPretrainedBook(id, folder, book, plan);
    }

    private static Task<IResult> SubmitAttentionAsync(HttpContext context, ApiJobs registry, IOptions<ApiOptions> options) =>
        SubmitAsync(context, registry, options.Value, "input.safetensors", ["application/octet-stream", "application/x-safetensors"], async (id, folder, input, bag) =>
        {
            var spec = JobRequests.Attention(bag);
            var split = JobRequests.Split(bag);
            bag.RejectUnknown();
            var shape = AttentionJob.CheckInput(input, "the uploaded safetensors");
            AttentionJob.CheckSpec(spec, shape, prefix: "");
            var plan = split.Build(await RequireSilosAsync(registry, context.RequestAborted), prefix: "");
            if (plan.Shards > shape.Length) throw new ArgumentException($"shards {plan.Shards} is more than the sequence's {shape.Length} positions; every shard needs at least one.");
            plan.Validate(shape.Length);
            return registry.StartAttention(id, folder, input, spec, plan);
        });

    /// <summary>The common path of a submission: options, upload into a new job folder, checks, start; 202 or a problem.</summary>
    private static async Task<IResult> SubmitAsync(
        HttpContext context, ApiJobs registry, ApiOptions options, string inputName, string[] rawTypes, Func<string, string, string, OptionBag, Task<ApiJob>> start)
    {
        string? folder = null;
        string? input = null;
        try
        {
            var bag = new OptionBag();
            foreach (var (key, values) in context.Request.Query) bag.Add(key, values.ToString());
            var id = JobRequests.JobId(bag);
            folder = registry.CreateFolder(id);
            input = Path.Combine(folder, inputName);
            await Uploads.SaveAsync(context.Request, input, rawTypes, options.MaxUploadBytes, bag, context.RequestAborted);
            var job = await start(id, folder, input, bag);
            await registry.WaitForSubmissionAsync(job, SubmissionWait, context.RequestAborted);
            context.Response.Headers[ApiHeaders.TraceId] = job.TraceId;
            return TypedResults.Accepted($"/v1/jobs/{job.Id}", JobView.Of(job));
        }
        catch (Exception e) when (e is ArgumentException or UploadException or ClusterDownException or AdmissionRefusedException)
        {
            if (folder is not null) TryDelete(folder);
            return e switch
            {
                UploadException upload => Problems.Of(upload.StatusCode, upload.Title, upload.Message),
                ClusterDownException => Problems.Of(StatusCodes.Status503ServiceUnavailable, "Cluster unavailable", e.Message),
                AdmissionRefusedException { Refusal: AdmissionRefusal.TooLarge } => Problems.Of(StatusCodes.Status422UnprocessableEntity, "Job too large for the cluster", e.Message),
                AdmissionRefusedException => Busy(context, e.Message),
                // The server's folders are nobody's business: the upload is "the upload".
                _ => Problems.Of(StatusCodes.Status400BadRequest, "Invalid job", input is null ? e.Message : e.Message.Replace($"'{input}'", "the upload", StringComparison.Ordinal)),
            };
        }
    }

    private static IResult Busy(HttpContext context, string message)
    {
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Of(StatusCodes.Status429TooManyRequests, "Cluster busy", message);
    }

    private static async Task<IResult> GetAsync(string id, ApiJobs registry, HttpContext context)
    {
        if (registry.Find(id) is { } job)
        {
            context.Response.Headers[ApiHeaders.TraceId] = job.TraceId;
            return TypedResults.Ok(JobView.Of(job));
        }
        var status = await ClusterStatusAsync(registry, id);
        if (status is null) return Problems.UnknownJob(id);
        context.Response.Headers[ApiHeaders.TraceId] = status.TraceId;
        return TypedResults.Ok(JobView.Of(status));
    }

    private static async Task EventsAsync(string id, ApiJobs registry, IOptions<ApiOptions> options, HttpContext context)
    {
        if (registry.Find(id) is not { } job)
        {
            await Problems.UnknownJob(id).ExecuteAsync(context);
            return;
        }
        var response = context.Response;
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers[ApiHeaders.TraceId] = job.TraceId;
        var token = context.RequestAborted;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var version = job.Version;
                var ended = job.Ended;
                await response.WriteAsync($"event: {(ended ? "end" : "status")}\ndata: {JsonSerializer.Serialize(JobView.Of(job), Json)}\n\n", token);
                await response.Body.FlushAsync(token);
                if (ended) return;
                await job.WaitForChangeAsync(version, TimeSpan.FromSeconds(15), token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private static IResult Output(string id, string name, ApiJobs registry, HttpContext context)
    {
        if (registry.Find(id) is not { } job) return Problems.UnknownJob(id);
        context.Response.Headers[ApiHeaders.TraceId] = job.TraceId;
        if (!job.Outputs.Contains(name, StringComparer.Ordinal))
            return Problems.Of(StatusCodes.Status404NotFound, "Unknown output", $"job '{id}' has no output '{name}'; it has {string.Join(", ", job.Outputs)}.");
        if (job.State != ApiJobState.Completed)
            return Problems.Of(StatusCodes.Status409Conflict, "Output not ready", $"job '{id}' is {job.State.ToString().ToLowerInvariant()}; its outputs can be downloaded once it has completed.");
        var path = Path.Combine(job.Folder, name);
        var type = name.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "application/octet-stream";
        return TypedResults.PhysicalFile(path, type, fileDownloadName: name, enableRangeProcessing: true);
    }

    private static async Task<IResult> CancelAsync(string id, ApiJobs registry, HttpContext context)
    {
        if (registry.Find(id) is { } job)
        {
            context.Response.Headers[ApiHeaders.TraceId] = job.TraceId;
            if (!await registry.CancelAsync(job))
                return Problems.Of(StatusCodes.Status409Conflict, "Job already ended", $"job '{id}' has already {Ended(job.State)}; there is nothing to cancel.");
            return TypedResults.Ok(JobView.Of(job));
        }
        var status = await ClusterStatusAsync(registry, id);
        if (status is null) return Problems.UnknownJob(id);
        context.Response.Headers[ApiHeaders.TraceId] = status.TraceId;
        if (status.State is JobState.Completed or JobState.Failed or JobState.Cancelled)
            return Problems.Of(StatusCodes.Status409Conflict, "Job already ended", $"job '{id}' is already {status.State.ToString().ToLowerInvariant()}; there is nothing to cancel.");
        await registry.Cluster.Jobs.CancelAsync(id);
        return TypedResults.Ok(JobView.Of(await registry.Cluster.Jobs.GetStatusAsync(id)));
    }

    private static string Ended(ApiJobState state) => state switch
    {
        ApiJobState.Completed => "completed",
        ApiJobState.Failed => "failed",
        _ => "been cancelled",
    };

    private static async Task<JobStatus?> ClusterStatusAsync(ApiJobs registry, string id)
    {
        try
        {
            return await registry.Cluster.Jobs.GetStatusAsync(id);
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
    }

    private static async Task<int> RequireSilosAsync(ApiJobs registry, CancellationToken cancellationToken)
    {
        var silos = await registry.Cluster.ActiveSilosAsync(cancellationToken);
        return silos > 0 ? silos : throw new ClusterDownException("no silo of the cluster answers; try again once /readyz says ready.");
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the data folder's owner; nothing references it.
        }
    }
}
