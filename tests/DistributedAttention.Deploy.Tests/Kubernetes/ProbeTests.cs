using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>The app's containers are probed on its health endpoints; every container has probes.</summary>
public sealed class ProbeTests
{
    public static TheoryData<string, string, string> AppContainers => new()
    {
        { "cpu", Deployment.Silo, "silo" },
        { "cpu", Deployment.Api, "api" },
        { "gpu", Deployment.Silo, "silo" },
        { "gpu", Deployment.Api, "api" },
    };

    [Theory]
    [MemberData(nameof(AppContainers))]
    public void Liveness_and_startup_use_healthz_and_readiness_readyz_on_the_http_port(string overlay, string workload, string container)
    {
        var c = Rendered.Overlay(overlay).Workload(workload).Container(container);
        AssertHttp(c, c.StartupProbe, "/healthz");
        AssertHttp(c, c.LivenessProbe, "/healthz");
        AssertHttp(c, c.ReadinessProbe, "/readyz");
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void Every_container_has_readiness_and_liveness_probes(string overlay)
    {
        foreach (var w in Rendered.Overlay(overlay).Workloads)
        {
            foreach (var c in w.Pod.Containers)
            {
                Assert.True(c.ReadinessProbe is not null, $"{overlay}: {w.Id}/{c.Name} has no readiness probe.");
                Assert.True(c.LivenessProbe is not null, $"{overlay}: {w.Id}/{c.Name} has no liveness probe.");
            }
        }
    }

    private static void AssertHttp(V1Container c, V1Probe? probe, string path)
    {
        Assert.NotNull(probe);
        var get = probe.HttpGet ?? throw new InvalidDataException($"{c.Name}: a {path} probe must be an HTTP GET.");
        Assert.Equal(path, get.Path);
        var port = get.Port.Value;
        var byName = (c.Ports ?? []).SingleOrDefault(p => p.Name == port)?.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Deployment.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), byName ?? port);
        Assert.True(get.Scheme is null or "HTTP", $"{c.Name}: {path} is served over plain HTTP.");
    }
}
