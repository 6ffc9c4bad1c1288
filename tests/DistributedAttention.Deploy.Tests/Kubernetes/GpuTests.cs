using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>The gpu overlay gives every silo one NVIDIA GPU and uses it; the cpu overlay asks for none.</summary>
public sealed class GpuTests
{
    private const string Gpu = "nvidia.com/gpu";

    [Fact]
    public void Every_gpu_silo_gets_one_gpu_on_a_gpu_node_and_uses_it()
    {
        var silo = Rendered.Overlay("gpu").Workload(Deployment.Silo);
        foreach (var c in silo.Pod.Containers)
        {
            Assert.True(c.Resources?.Limits?.TryGetValue(Gpu, out var limit) == true && limit.ToDecimal() == 1m, $"gpu: silo container {c.Name} has no {Gpu} limit of 1.");
            // Extended resources: a request, if given, must equal the limit.
            if (c.Resources.Requests?.TryGetValue(Gpu, out var request) == true) Assert.Equal(1m, request.ToDecimal());
        }
        var args = silo.Container("silo").Args;
        var i = args.IndexOf("--devices");
        Assert.True(i >= 0 && i + 1 < args.Count && args[i + 1] == "cuda:0", $"gpu: the silo's arguments [{string.Join(" ", args)}] do not select cuda:0.");
        Assert.Equal("nvidia", silo.Pod.RuntimeClassName);
        Assert.NotEmpty(silo.Pod.NodeSelector);
        Assert.Contains(silo.Pod.Tolerations, t => t.Key == Gpu && t.Effect == "NoSchedule" && (t.OperatorProperty == "Exists" || t.Value is not null));
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void Only_gpu_silos_ask_for_gpus(string overlay)
    {
        foreach (var w in Rendered.Overlay(overlay).Workloads.Where(w => overlay == "cpu" || w.Name != Deployment.Silo))
        {
            foreach (var c in w.AllContainers)
            {
                Assert.False(c.Resources?.Limits?.ContainsKey(Gpu) == true || c.Resources?.Requests?.ContainsKey(Gpu) == true, $"{overlay}: {w.Id}/{c.Name} asks for a GPU.");
                Assert.DoesNotContain(c.Args ?? [], a => a.StartsWith("cuda", StringComparison.Ordinal));
            }
            Assert.Null(w.Pod.RuntimeClassName);
        }
    }
}
