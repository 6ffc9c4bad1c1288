using System.Text.Json;

namespace DistributedAttention.Deploy.Tests.Compose;

/// <summary>
/// docker-compose.yml and its GPU override as Compose v2 resolves them (<c>docker-compose config</c>,
/// no engine needed): the images are the ones the build makes, every container is hardened, and the
/// override gives each silo one NVIDIA GPU, the cuda image built for CUDA, and <c>--devices cuda:0</c>.
/// </summary>
public sealed class ComposeFileTests
{
    private static readonly string Base = Path.Combine(RepositoryPaths.Root, "docker-compose.yml");
    private static readonly string Gpu = Path.Combine(RepositoryPaths.Root, "docker-compose.gpu.yml");

    [Fact]
    public async Task The_compose_file_runs_the_built_images_hardened()
    {
        var images = ImageNames.Load();
        using var config = await ConfigAsync(Base);
        var services = config.RootElement.GetProperty("services");
        Assert.Equal(images.Cpu, services.GetProperty("silo").GetProperty("image").GetString());
        Assert.Equal(images.Cpu, services.GetProperty("api").GetProperty("image").GetString());
        Assert.Equal(images.Dashboard, services.GetProperty("dashboard").GetProperty("image").GetString());
        Assert.Equal(3, services.GetProperty("silo").GetProperty("deploy").GetProperty("replicas").GetInt32());
        foreach (var service in services.EnumerateObject())
        {
            Assert.True(service.Value.GetProperty("read_only").GetBoolean(), $"{service.Name} is not read-only");
            Assert.Contains("ALL", service.Value.GetProperty("cap_drop").EnumerateArray().Select(c => c.GetString()));
            Assert.Contains("no-new-privileges:true", service.Value.GetProperty("security_opt").EnumerateArray().Select(c => c.GetString()));
            // Published ports, if any, only on this machine's loopback.
            if (service.Value.TryGetProperty("ports", out var ports))
                Assert.All(ports.EnumerateArray(), p => Assert.Equal("127.0.0.1", p.GetProperty("host_ip").GetString()));
        }
        // A stop never cuts the drain short: grace above the drain timeout.
        var silo = services.GetProperty("silo");
        var drain = TimeSpan.Parse(silo.GetProperty("environment").GetProperty("DistributedAttention__Silo__DrainTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(GraceSeconds(silo) > drain.TotalSeconds + 30, $"stop_grace_period {GraceSeconds(silo)} s does not cover the {drain} drain");
    }

    [Fact]
    public async Task The_gpu_override_reserves_one_gpu_per_silo_with_the_cuda_image()
    {
        var images = ImageNames.Load();
        using var config = await ConfigAsync(Base, Gpu);
        var silo = config.RootElement.GetProperty("services").GetProperty("silo");
        Assert.Equal(images.Cuda, silo.GetProperty("image").GetString());
        Assert.Equal("cuda", silo.GetProperty("build").GetProperty("args").GetProperty("TORCH_BACKEND").GetString());
        var command = silo.GetProperty("command").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Equal("cuda:0", command[command.IndexOf("--devices") + 1]);
        var device = Assert.Single(silo.GetProperty("deploy").GetProperty("resources").GetProperty("reservations").GetProperty("devices").EnumerateArray());
        Assert.Equal("nvidia", device.GetProperty("driver").GetString());
        Assert.Equal(1, device.GetProperty("count").GetInt32());
        Assert.Contains("gpu", device.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
    }

    private static double GraceSeconds(JsonElement service)
    {
        // Compose writes durations like "3m0s".
        var text = service.GetProperty("stop_grace_period").GetString()!;
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$");
        Assert.True(match.Success, $"unexpected duration '{text}'");
        double Part(int group) => match.Groups[group].Success ? double.Parse(match.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        return Part(1) * 3600 + Part(2) * 60 + Part(3);
    }

    private static async Task<JsonDocument> ConfigAsync(params string[] files)
    {
        var arguments = new List<string> { "-p", "distattn-config-check" };
        foreach (var file in files) arguments.AddRange(["-f", file]);
        arguments.AddRange(["config", "--format", "json"]);
        var result = (await Docker.RunAsync("docker-compose", arguments, TimeSpan.FromSeconds(60), new Dictionary<string, string>())).EnsureSuccess("docker-compose config");
        var json = result.Output[result.Output.IndexOf('{', StringComparison.Ordinal)..];
        return JsonDocument.Parse(json);
    }
}
