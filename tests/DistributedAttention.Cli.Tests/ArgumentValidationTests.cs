using DistributedAttention.Core.IO;
using DistributedAttention.Model.Tests;
using DistributedAttention.Testing.Processes;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Tests;

/// <summary>Every bad input ends in one clear line on stderr and exit code 2, before any cluster is touched.</summary>
public sealed class ArgumentValidationTests
{
    private static async Task AssertUsageError(string expected, params string[] args)
    {
        var run = await CliHarness.RunAsync(null, args);
        Assert.True(run.ExitCode == ExitCodes.Usage, $"exit code {run.ExitCode}, stderr: {run.Error}");
        Assert.StartsWith("error: ", run.Error);
        Assert.Contains(expected, run.Error);
        Assert.Single(run.Error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", run.Error);
    }

    private static string SampleBook => Path.Combine(Repo.Root, "samples", "books", "the-north-light.txt");

    [Theory]
    [InlineData("12,x", "'x' is not a non-negative integer")]
    [InlineData("1,2,3", "is not 'L,R'")]
    [InlineData("-4,4", "'-4' is not a non-negative integer")]
    [InlineData("", "is not 'L,R'")]
    public Task Bad_window_specs_name_the_option(string window, string expected) =>
        AssertUsageError(expected, "process", SampleBook, "--window", window);

    [Fact]
    public Task Missing_book_file_is_named() => AssertUsageError("book file 'no-such-book.txt' does not exist", "process", "no-such-book.txt");

    [Theory]
    [InlineData("empty", "is empty")]
    [InlineData("blank", "contains no text")]
    [InlineData("binary", "looks like binary data, not text")]
    [InlineData("gzip", "looks like binary data, not text")]
    [InlineData("folder", "is a folder, not a book file")]
    public async Task Books_that_are_not_text_are_named(string kind, string expected)
    {
        using var dir = new TempDir();
        var path = dir.File($"{kind}.txt");
        switch (kind)
        {
            case "empty":
                await File.WriteAllBytesAsync(path, []);
                break;
            case "blank":
                await File.WriteAllTextAsync(path, "  \n\t\n   \r\n");
                break;
            case "binary":
                await File.WriteAllBytesAsync(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 7))]);
                break;
            case "gzip":
                // A real gzip stream of a real book.
                await using (var gz = new System.IO.Compression.GZipStream(File.Create(path), System.IO.Compression.CompressionLevel.Optimal))
                    await gz.WriteAsync(await File.ReadAllBytesAsync(SampleBook));
                break;
            default:
                Directory.CreateDirectory(path);
                break;
        }
        await AssertUsageError(expected, "process", path);
    }

    [Fact]
    public async Task Attention_inputs_holding_nan_or_infinity_are_refused_naming_the_first()
    {
        using var dir = new TempDir();
        var input = dir.File("qkv.safetensors");
        using var q = zeros([1, 2, 8, 4]);
        using var k = zeros([1, 2, 8, 4]);
        k[0, 1, 5, 2] = tensor(float.NaN);
        k[0, 1, 6, 0] = tensor(float.PositiveInfinity);
        Safetensors.Save(input, new Dictionary<string, Tensor> { ["q"] = q, ["k"] = k, ["v"] = q });
        await AssertUsageError("tensor 'k' holds 2 NaN or infinite value(s), the first (NaN) at [0, 1, 5, 2]", "attention", "--input", input, "--output", dir.File("o.safetensors"));
    }

    [Fact]
    public Task Unknown_options_are_parse_errors() => AssertUsageError("--frobnicate", "process", SampleBook, "--frobnicate");

    [Fact]
    public Task No_command_is_a_usage_error() => AssertUsageError("Required command was not provided");

    [Theory]
    [InlineData("--mechanism", "sparse", "--mechanism 'sparse' is not one of")]
    [InlineData("--wire", "fp8", "--wire 'fp8' is not one of fp32, fp16, bf16")]
    [InlineData("--cluster", "localhost", "--cluster 'localhost' is not HOST:PORT")]
    [InlineData("--silos", "0", "--silos must be between 1 and 64")]
    [InlineData("--heads", "5", "model dim 64 is not divisible by heads 5")]
    [InlineData("--dilation", "0", "dilation must be >= 1")]
    [InlineData("--max-tokens", "0", "--max-tokens must be >= 1")]
    [InlineData("--shards", "abc", "abc")]
    [InlineData("--shards", "0", "--shards must be >= 1")]
    [InlineData("--shards", "-2", "--shards must be >= 1")]
    [InlineData("--shards", "100000", "--shards 100000 is more than the")]
    [InlineData("--layers", "0", "layers must be >= 1")]
    [InlineData("--layers", "-1", "layers must be >= 1")]
    [InlineData("--chunk-mb", "0", "chunk-mb must be between 1 and 32")]
    [InlineData("--chunk-mb", "33", "chunk-mb must be between 1 and 32")]
    [InlineData("--model-dim", "0", "model dim must be >= 1")]
    [InlineData("--window", "x", "'x' is not a non-negative integer")]
    [InlineData("--replicas", "9", "--replicas must be between 0 and 8")]
    [InlineData("--replicas", "-1", "--replicas must be between 0 and 8")]
    [InlineData("--job-id", "two words", "--job-id 'two words' must be 1-200 characters without spaces")]
    public Task Bad_process_values_are_named(string option, string value, string expected) =>
        AssertUsageError(expected, "process", SampleBook, option, value);

    [Fact]
    public Task An_output_folder_that_cannot_be_written_is_named_before_the_job_runs() =>
        // /proc/self exists and is a folder, but no file can be created in it (not even by root).
        AssertUsageError("--output '/proc/self' cannot be written", "process", SampleBook, "--output", "/proc/self");

    [Fact]
    public Task An_output_that_is_a_file_is_named() =>
        AssertUsageError($"--output '{SampleBook}' cannot be created", "process", SampleBook, "--output", SampleBook);

    [Fact]
    public Task A_gateway_and_redis_together_are_refused() =>
        AssertUsageError("give either --cluster (one gateway) or --redis", "process", SampleBook, "--cluster", "127.0.0.1:30000", "--redis", "127.0.0.1:6379");

    [Theory]
    [InlineData("--http", "not a url", "--http must be an http(s) URL (got 'not a url')")]
    [InlineData("--timeout", "0", "--timeout must be positive (got 0)")]
    public Task Bad_drain_values_are_named(string option, string value, string expected) =>
        AssertUsageError(expected, "drain", option, value);

    [Fact]
    public async Task Drain_with_no_silo_listening_says_so_and_fails()
    {
        var port = FreePorts.Take(1)[0];
        var run = await CliHarness.RunAsync(null, "drain", "--http", $"http://127.0.0.1:{port}");
        Assert.Equal(ExitCodes.JobFailed, run.ExitCode);
        Assert.Contains($"no silo answers at http://127.0.0.1:{port}/", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linformer", "--causal", "", "Linformer is not defined for causal attention")]
    [InlineData("luna", "--packed-length", "0", "Luna packed length must be >= 1 (got 0)")]
    public Task Invalid_mechanism_combinations_are_rejected(string mechanism, string flag, string value, string expected) =>
        AssertUsageError(expected, ["process", SampleBook, "--mechanism", mechanism, flag, .. value.Length > 0 ? new[] { value } : []]);

    [Fact]
    public Task Attention_requires_input_and_output() => AssertUsageError("--input", "attention", "--output", "o.safetensors");

    [Fact]
    public Task Attention_input_must_exist() =>
        AssertUsageError("--input 'missing.safetensors' does not exist", "attention", "--input", "missing.safetensors", "--output", "o.safetensors");

    [Fact]
    public async Task Attention_input_that_is_not_safetensors_is_named()
    {
        using var dir = new TempDir();
        var input = dir.File("qkv.safetensors");
        await File.WriteAllTextAsync(input, "not a tensor file");
        await AssertUsageError("is not a valid safetensors file", "attention", "--input", input, "--output", dir.File("o.safetensors"));
    }

    [Fact]
    public async Task Missing_tensor_is_named_with_what_the_file_holds()
    {
        using var dir = new TempDir();
        var input = dir.File("qkv.safetensors");
        using var q = zeros(1, 2, 8, 4);
        Safetensors.Save(input, new Dictionary<string, Tensor> { ["q"] = q, ["k"] = q, ["values"] = q });
        await AssertUsageError("has no tensor 'v' (it holds: ", "attention", "--input", input, "--output", dir.File("o.safetensors"));
    }

    public static TheoryData<long[], long[], long[], string> BadShapes => new()
    {
        { [2, 8, 4], [1, 2, 8, 4], [1, 2, 8, 4], "tensor 'q' must be 4-D" },
        { [1, 2, 8, 4], [1, 3, 8, 4], [1, 2, 8, 4], "agree on batch and heads" },
        { [1, 2, 8, 4], [1, 2, 9, 4], [1, 2, 8, 4], "same length n" },
        { [1, 2, 8, 4], [1, 2, 8, 6], [1, 2, 8, 4], "same head dim" },
        { [1, 2, 0, 4], [1, 2, 0, 4], [1, 2, 0, 4], "empty dimension" },
    };

    [Theory]
    [MemberData(nameof(BadShapes))]
    public async Task Bad_tensor_shapes_are_named(long[] qShape, long[] kShape, long[] vShape, string expected)
    {
        using var dir = new TempDir();
        var input = dir.File("qkv.safetensors");
        using var q = zeros(qShape);
        using var k = zeros(kShape);
        using var v = zeros(vShape);
        Safetensors.Save(input, new Dictionary<string, Tensor> { ["q"] = q, ["k"] = k, ["v"] = v });
        await AssertUsageError(expected, "attention", "--input", input, "--output", dir.File("o.safetensors"));
    }

    [Theory]
    [InlineData("folder", "is a folder; give the path of the .safetensors file to write")]
    [InlineData("missing-folder", "does not exist")]
    [InlineData("proc", "cannot be written")]
    public async Task Attention_outputs_that_cannot_be_written_are_named_before_the_job(string kind, string expected)
    {
        using var dir = new TempDir();
        var input = dir.File("qkv.safetensors");
        using var q = zeros(1, 2, 8, 4);
        Safetensors.Save(input, new Dictionary<string, Tensor> { ["q"] = q, ["k"] = q, ["v"] = q });
        // /proc/self is a folder no file can be created in, not even by root.
        var output = kind switch
        {
            "folder" => Directory.CreateDirectory(dir.File("out")).FullName,
            "missing-folder" => Path.Combine(dir.File("no-such-folder"), "o.safetensors"),
            _ => "/proc/self/o.safetensors",
        };
        await AssertUsageError(expected, "attention", "--input", input, "--output", output);
    }

    [Fact]
    public async Task Non_f32_inputs_are_rejected()
    {
        using var dir = new TempDir();
        var input = dir.File("qkv.safetensors");
        using var q = zeros([1, 2, 8, 4], dtype: ScalarType.Float64);
        Safetensors.Save(input, new Dictionary<string, Tensor> { ["q"] = q, ["k"] = q, ["v"] = q });
        await AssertUsageError("must be F32", "attention", "--input", input, "--output", dir.File("o.safetensors"));
    }

    [Fact]
    public async Task Global_tokens_asked_of_a_mechanism_without_them_are_refused_not_dropped()
    {
        using var dir = new TempDir();
        var input = dir.File("qkv.safetensors");
        using var q = zeros(1, 2, 8, 4);
        Safetensors.Save(input, new Dictionary<string, Tensor> { ["q"] = q, ["k"] = q, ["v"] = q });
        await AssertUsageError("--global-positions apply to --mechanism window and bigbird only; full attention has no global tokens",
            "attention", "--input", input, "--output", dir.File("o.safetensors"), "--mechanism", "full", "--global-positions", "0,3");
        await AssertUsageError("--global-every applies to --mechanism window and bigbird only; performer attention has no global tokens",
            "process", SampleBook, "--mechanism", "performer", "--global-every", "10");
    }

    [Fact]
    public async Task Global_positions_outside_the_sequence_are_rejected()
    {
        using var dir = new TempDir();
        var input = dir.File("qkv.safetensors");
        using var q = zeros(1, 2, 8, 4);
        Safetensors.Save(input, new Dictionary<string, Tensor> { ["q"] = q, ["k"] = q, ["v"] = q });
        await AssertUsageError("position 8 is outside the sequence of 8", "attention", "--input", input, "--output", dir.File("o.safetensors"),
            "--mechanism", "window", "--global-positions", "0,8");
    }

    [Theory]
    [InlineData("--port", "0", "--port must be a port in 1-65535")]
    [InlineData("--primary", "host", "--primary 'host' is not HOST:PORT")]
    [InlineData("--devices", "tpu", "'tpu' is not 'cpu' or 'cuda:N'")]
    [InlineData("--gateway-port", "11111", "--port and --gateway-port must differ")]
    [InlineData("--job-store", "sqlite", "--job-store must be one of memory, redis (got 'sqlite')")]
    [InlineData("--backups", "tape", "--backups must be one of memory, disk (got 'tape')")]
    [InlineData("--http", "70000", "--http must be a port in 1-65535")]
    [InlineData("--memory-budget", "lots", "--memory-budget 'lots' is not a size such as 512MiB, 8GiB or a number of bytes")]
    [InlineData("--memory-budget", "-1GiB", "--memory-budget '-1GiB' is not a size")]
    [InlineData("--memory-budget", "8XB", "--memory-budget '8XB' is not a size")]
    public Task Bad_silo_options_are_named(string option, string value, string expected) => AssertUsageError(expected, "silo", option, value);

    [Theory]
    [InlineData("--port", "-1", "--port must be in 0-65535")]
    [InlineData("--silos", "0", "--silos must be between 1 and 64")]
    [InlineData("--max-upload-mb", "0", "--max-upload-mb must be >= 1")]
    [InlineData("--cluster", "nowhere", "--cluster 'nowhere' is not HOST:PORT")]
    [InlineData("--wait-for-cluster", "-1", "--wait-for-cluster must be in 0-86400 seconds")]
    public Task Bad_serve_options_are_named(string option, string value, string expected) => AssertUsageError(expected, "serve", option, value);

    [Fact]
    public Task A_primary_on_another_host_needs_redis() =>
        AssertUsageError("--primary 10.0.0.1:11111: static clustering runs on one machine", "silo", "--primary", "10.0.0.1:11111");

    [Fact]
    public async Task A_valid_silo_command_runs_the_launcher_and_exits_cleanly()
    {
        var run = await CliHarness.RunAsync(null, "silo", "--port", "11112", "--gateway-port", "30001", "--devices", "cpu,cuda:1", "--primary", "127.0.0.1:11111");
        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.Contains("silo up: S127.0.0.1:11112:1 port 11112 gateway 30001 devices cpu,cuda:1 cluster distattn", run.Output);
        Assert.Contains("silo stopped", run.Output);
    }

    [Fact]
    public async Task Help_exits_zero_and_lists_the_commands()
    {
        var run = await CliHarness.RunAsync(null, "--help");
        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        foreach (var command in new[] { "process", "attention", "silo", "serve", "dashboard", "sample" }) Assert.Contains(command, run.Output);
    }
}
