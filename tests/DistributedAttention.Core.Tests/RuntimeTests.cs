using DistributedAttention.Core.Runtime;
using TorchSharp;

namespace DistributedAttention.Core.Tests;

public sealed class RuntimeTests
{
    [Fact]
    public void Torch_loads_here() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Load_failure_on_an_old_libstdcxx_explains_the_fix()
    {
        var message = ExplainWithLibStdCxx("GLIBCXX_3.4.30 GLIBCXX_3.4.31", "libLibTorchSharp.so: version `GLIBCXX_3.4.32' not found");
        Assert.Contains("GLIBCXX_3.4.32", message);
        Assert.Contains("eng/in-sandbox.sh", message);
    }

    [Fact]
    public void Load_failure_on_a_new_libstdcxx_points_at_the_package()
    {
        var message = ExplainWithLibStdCxx("GLIBCXX_3.4.32", "libtorch_cpu.so: cannot open shared object file");
        Assert.Contains("libtorch-cpu-linux-x64", message);
        Assert.Contains("libtorch_cpu.so", message);
    }

    private static string ExplainWithLibStdCxx(string symbols, string loaderError)
    {
        var fake = Path.GetTempFileName();
        try
        {
            File.WriteAllText(fake, symbols);
            return TorchRuntime.Explain(new DllNotFoundException(loaderError), fake);
        }
        finally
        {
            File.Delete(fake);
        }
    }

    [Fact]
    public void A_libstdcxx_on_the_library_path_is_the_one_checked()
    {
        var folder = Directory.CreateTempSubdirectory("libstdcxx-");
        try
        {
            var carried = Path.Combine(folder.FullName, "libstdc++.so.6");
            File.WriteAllText(carried, "GLIBCXX_3.4.31");
            Assert.Equal(carried, TorchRuntime.FindLibStdCxx($"/nonexistent:{folder.FullName}"));
            Assert.True(TorchRuntime.IsTooOld(carried));
            // Without it on the path, the system's is the one checked.
            Assert.NotEqual(carried, TorchRuntime.FindLibStdCxx("/nonexistent"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void Cpu_parses(string name) => Assert.Equal(DeviceType.CPU, DeviceSelector.Parse(name).type);

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    public void Malformed_devices_are_rejected(string name) =>
        Assert.Contains("not valid", Assert.Throws<ArgumentException>(() => DeviceSelector.Parse(name)).Message);

    [Fact]
    public void Missing_cuda_is_reported_clearly()
    {
        if (torch.cuda.is_available()) return; // a GPU host: nothing to check here
        Assert.Contains("CUDA", Assert.Throws<ArgumentException>(() => DeviceSelector.Parse("cuda:0")).Message);
    }
}
