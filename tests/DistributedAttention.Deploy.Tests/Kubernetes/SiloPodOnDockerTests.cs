using System.Globalization;
using System.Net;
using DistributedAttention.Deploy.Tests.Compose;
using k8s.Models;
using Xunit.Abstractions;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>
/// The silo container exactly as the cpu overlay renders it, run on Docker as a kubelet would:
/// its image, args, environment (Secret and ConfigMap keys, downward-API fields filled in with the
/// pod's name, namespace and IP), its emptyDir mounts, read-only root, user, dropped capabilities
/// and limits, on a network of its own next to a Redis that takes the rendered password. It must
/// join, pass its rendered startup, readiness and liveness probes, show the autoscaler's metric on
/// /metrics, and process a book submitted by a one-shot <c>distattn process --redis</c> container.
/// </summary>
public sealed class SiloPodOnDockerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string suffix = Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> containers = [];
    private string? network;

    [Fact]
    public async Task The_rendered_silo_container_joins_passes_its_probes_and_processes_a_book()
    {
        var images = ImageNames.Load();
        var redisImage = Environment.GetEnvironmentVariable("DISTATTN_TEST_REDIS_IMAGE") ?? LocalImages.Redis;
        var m = Rendered.Overlay("cpu");
        var silo = m.Workload(Deployment.Silo);
        var container = silo.Container("silo");
        Assert.Equal(images.Cpu, container.Image);
        await Docker.RequireAsync(container.Image, redisImage);

        // A network of our own with a fixed pod IP (the downward API's status.podIP).
        var (subnet, podIp) = await CreateNetworkAsync();
        output.WriteLine($"network {network} {subnet}, pod IP {podIp}");
        var podName = $"distattn-silo-{suffix}-x1";
        string Fill(string value) => value
            .Replace("fieldRef:status.podIP", podIp, StringComparison.Ordinal)
            .Replace("fieldRef:metadata.name", podName, StringComparison.Ordinal)
            .Replace("fieldRef:metadata.namespace", Deployment.Namespace, StringComparison.Ordinal);

        // Redis under the Service's name, with the password the rendered connection string carries.
        var connection = Fill(ContainerEnvironment.Resolve(m, container, "DistributedAttention__Silo__RedisConnectionString"));
        var password = connection.Split(',').Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("password=", StringComparison.Ordinal))?["password=".Length..];
        string[] redisArgs = ["redis-server", "--protected-mode", "no", .. password is null ? Array.Empty<string>() : ["--requirepass", password]];
        await RunContainerAsync(["--name", $"distattn-redis-{suffix}", "--network-alias", Deployment.Redis, redisImage, .. redisArgs]);

        // The silo container as the kubelet starts it.
        var run = new List<string> { "--name", $"distattn-silo-{suffix}", "--ip", podIp, "--hostname", podName };
        foreach (var variable in container.Env ?? []) run.AddRange(["-e", $"{variable.Name}={Fill(ContainerEnvironment.Resolve(m, container, variable.Name))}"]);
        run.AddRange(SecurityFlags(silo.Pod, container));
        foreach (var mount in container.VolumeMounts ?? [])
        {
            var volume = silo.Pod.Volumes.Single(v => v.Name == mount.Name);
            if (volume.PersistentVolumeClaim is not null)
            {
                // A read-only claim (the models): an empty folder of this machine stands in for the volume.
                Assert.True(mount.ReadOnlyProperty, $"{mount.Name} is a claim mounted writable");
                var claim = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"distattn-claim-{suffix}-{mount.Name}")).FullName;
                run.AddRange(["-v", $"{claim}:{mount.MountPath}:ro"]);
                continue;
            }
            Assert.NotNull(volume.EmptyDir);
            run.AddRange(["--tmpfs", $"{mount.MountPath}:uid={Deployment.AppUid},gid={Deployment.AppUid},mode=1770"]);
        }
        if (container.Resources?.Limits?.TryGetValue("memory", out var memory) == true) run.AddRange(["--memory", $"{memory.ToInt64()}"]);
        if (container.Resources?.Limits?.TryGetValue("cpu", out var cpu) == true)
            run.AddRange(["--cpus", Math.Min(cpu.ToDouble(), Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture)]);
        run.Add(container.Image);
        run.AddRange((container.Args ?? []).Select(a => Fill(ContainerEnvironment.Expand(m, container, a))));
        await RunContainerAsync(run);

        // Its probes, on the pod IP as the kubelet probes them.
        // Generous: a probe or scrape answered late on a loaded machine is not a failure of the manifest.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe })
        {
            var port = silo.NamedPort(probe.HttpGet.Port.Value)?.ContainerPort ?? int.Parse(probe.HttpGet.Port.Value, CultureInfo.InvariantCulture);
            await WaitForOkAsync(http, new Uri($"http://{podIp}:{port}{probe.HttpGet.Path}"), TimeSpan.FromSeconds(180));
        }

        // The autoscaler's metric is on the silo's /metrics.
        var metrics = await http.GetStringAsync(new Uri($"http://{podIp}:{Deployment.HttpPort}/metrics"));
        Assert.Contains(AutoscalingTests.PrometheusMetric, metrics, StringComparison.Ordinal);

        // A one-shot job: the image running `process` against the cluster in Redis.
        var clusterId = ContainerEnvironment.Resolve(m, container, "DistributedAttention__Silo__ClusterId");
        var serviceId = ContainerEnvironment.Resolve(m, container, "DistributedAttention__Silo__ServiceId");
        var book = Path.Combine(RepositoryPaths.Root, "samples", "books", "the-north-light.txt");
        var job = await Docker.CliAsync(TimeSpan.FromMinutes(5), "run", "--rm", "--network", network!, "--read-only", "--tmpfs", $"/tmp:uid={Deployment.AppUid}",
            "-v", $"{book}:/books/book.txt:ro", container.Image,
            "process", "/books/book.txt", "--output", "/tmp/out", "--verify", "--redis", connection, "--cluster-id", clusterId, "--service-id", serviceId, "--layers", "1", "--model-dim", "16", "--heads", "2");
        output.WriteLine(job.Output);
        job.EnsureSuccess("distattn process --redis against the rendered silo");
        Assert.Contains("Verifying", job.Output, StringComparison.Ordinal);
    }

    /// <summary>docker run flags for the pod's and container's security context.</summary>
    private static IEnumerable<string> SecurityFlags(V1PodSpec pod, V1Container container)
    {
        var context = container.SecurityContext;
        Assert.True(context.ReadOnlyRootFilesystem);
        yield return "--read-only";
        var user = context.RunAsUser ?? pod.SecurityContext?.RunAsUser;
        var group = context.RunAsGroup ?? pod.SecurityContext?.RunAsGroup;
        Assert.NotNull(user);
        yield return "--user";
        yield return group is null ? $"{user}" : $"{user}:{group}";
        foreach (var capability in context.Capabilities?.Drop ?? [])
        {
            yield return "--cap-drop";
            yield return capability;
        }
        if (context.AllowPrivilegeEscalation == false)
        {
            yield return "--security-opt";
            yield return "no-new-privileges:true";
        }
        // seccompProfile RuntimeDefault is Docker's default profile: nothing to add.
        Assert.Equal("RuntimeDefault", (context.SeccompProfile ?? pod.SecurityContext?.SeccompProfile)?.Type);
    }

    private async Task<(string Subnet, string PodIp)> CreateNetworkAsync()
    {
        // A /24 no other network holds; a clash makes docker refuse, so try a few.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var octet = Random.Shared.Next(100, 250);
            var subnet = $"172.29.{octet}.0/24";
            var name = $"distattn-k8s-{suffix}";
            var created = await Docker.CliAsync(TimeSpan.FromSeconds(60), "network", "create", "--subnet", subnet, name);
            if (created.ExitCode == 0)
            {
                network = name;
                return (subnet, $"172.29.{octet}.10");
            }
        }
        throw new InvalidOperationException("could not create a docker network with a free 172.29.x.0/24 subnet.");
    }

    private async Task RunContainerAsync(IEnumerable<string> arguments)
    {
        var result = (await Docker.RunAsync("docker", ["run", "-d", "--network", network!, .. arguments], TimeSpan.FromMinutes(2))).EnsureSuccess("docker run");
        containers.Add(result.Output.Trim().Split('\n')[^1]);
    }

    private async Task WaitForOkAsync(HttpClient http, Uri probe, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync(probe);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    output.WriteLine($"{probe}: 200");
                    return;
                }
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }
            await Task.Delay(1000);
        }
        var logs = containers.Count > 0 ? await ComposeProject.LogsAsync(containers[^1]) : "";
        throw new TimeoutException($"{probe} did not answer 200 within {timeout.TotalSeconds:F0} s (last: {last}). Silo output:\n{logs}");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var id in containers) await Docker.CliAsync(TimeSpan.FromSeconds(60), "rm", "-f", "-v", id);
        if (network is not null) await Docker.CliAsync(TimeSpan.FromSeconds(60), "network", "rm", network);
        foreach (var claim in Directory.EnumerateDirectories(Path.GetTempPath(), $"distattn-claim-{suffix}-*")) Directory.Delete(claim, recursive: true);
    }
}
