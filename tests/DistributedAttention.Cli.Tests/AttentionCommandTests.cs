using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.IO;
using DistributedAttention.Model.Tests;
using DistributedAttention.Model.Tests.IO;
using static TorchSharp.torch;

namespace DistributedAttention.Cli.Tests;

/// <summary><c>distattn attention</c> end to end on the real three-silo cluster, read back by Python's safetensors.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AttentionCommandTests
{
    private readonly ClusterFixture cluster;

    public AttentionCommandTests(ClusterFixture cluster)
    {
        this.cluster = cluster;
        cluster.Probe.Reset();
    }

    private static Dictionary<string, Tensor> Inputs(long n)
    {
        using var generator = new TorchSharp.torch.Generator(5, CPU);
        return new Dictionary<string, Tensor>
        {
            ["q"] = randn([1, 2, n, 8], generator: generator),
            ["k"] = randn([1, 2, n, 8], generator: generator),
            ["v"] = randn([1, 2, n, 4], generator: generator),
        };
    }

    [Fact]
    public async Task Window_attention_with_globals_writes_o_and_lse_that_python_reads()
    {
        using var dir = new TempDir();
        var (input, output) = (dir.File("qkv.safetensors"), dir.File("out.safetensors"));
        var inputs = Inputs(64);
        try
        {
            Safetensors.Save(input, inputs);
            var run = await CliHarness.RunAsync(cluster, "attention", "--input", input, "--output", output,
                "--mechanism", "window", "--window", "6,2", "--global-positions", "0,17", "--shards", "3", "--softmax-scale", "0.5");
            Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);

            var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 6, WindowRight = 2, GlobalPositions = [0, 17], SoftmaxScale = 0.5 };
            using var expected = SingleDeviceAttention.Forward(spec, inputs["q"], inputs["k"], inputs["v"]);
            using var described = PythonSafetensors.Describe(output);
            var tensors = described.RootElement.GetProperty("tensors");
            foreach (var (name, tensor) in new[] { ("o", expected.Output), ("lse", expected.Lse!) })
            {
                var py = tensors.GetProperty(name);
                Assert.Equal("F32", py.GetProperty("dtype").GetString());
                Assert.Equal(tensor.shape, py.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
                var values = py.GetProperty("values").EnumerateArray().Select(e => e.GetSingle()).ToArray();
                using var read = TorchSharp.torch.tensor(values).reshape(tensor.shape);
                TensorAssert.Close(tensor, read, $"{name} as Python reads it");
            }
            var metadata = described.RootElement.GetProperty("metadata");
            Assert.Equal(spec.ToJson(), metadata.GetProperty("spec").GetString());
            Assert.Equal("0,22,43,64", metadata.GetProperty("shard_bounds").GetString());
        }
        finally
        {
            foreach (var t in inputs.Values) t.Dispose();
        }
    }

    [Fact]
    public async Task Performer_writes_o_without_lse()
    {
        using var dir = new TempDir();
        var (input, output) = (dir.File("qkv.safetensors"), dir.File("out.safetensors"));
        var inputs = Inputs(20);
        try
        {
            Safetensors.Save(input, inputs);
            var run = await CliHarness.RunAsync(cluster, "attention", "-i", input, "-o", output, "--mechanism", "performer", "--features", "8");
            Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
            Assert.Contains("no lse", run.Output);
            using var reader = SafetensorsReader.Open(output);
            Assert.Equal(["o"], reader.Tensors.Select(t => t.Name));
        }
        finally
        {
            foreach (var t in inputs.Values) t.Dispose();
        }
    }

    [Fact]
    public async Task A_failed_job_exits_1_with_the_cluster_error_and_writes_nothing()
    {
        using var dir = new TempDir();
        var (input, output) = (dir.File("qkv.safetensors"), dir.File("out.safetensors"));
        var inputs = Inputs(8);
        try
        {
            Safetensors.Save(input, inputs);
            cluster.Probe.FailLayers(shard: 0, "silo lost twice");
            var run = await CliHarness.RunAsync(cluster, "attention", "-i", input, "-o", output);
            Assert.Equal(ExitCodes.JobFailed, run.ExitCode);
            Assert.StartsWith("error: job ", run.Error);
            Assert.Contains(" failed: shard 0 failed in layer 0: silo lost twice", run.Error);
            Assert.False(File.Exists(output));
        }
        finally
        {
            foreach (var t in inputs.Values) t.Dispose();
        }
    }
}
