using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>Every silo and the API see the same model folders, read-only, where the API's ModelsDirectory says.</summary>
public sealed class ModelsVolumeTests
{
    public static TheoryData<string> Overlays => [.. Rendered.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_models_claim_is_mounted_read_only_at_the_api_models_directory_on_the_silos_and_the_api(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var claim = m.Get<V1PersistentVolumeClaim>("distattn-models");
        Assert.Contains("ReadOnlyMany", claim.Spec.AccessModes);
        var api = m.Workload(Deployment.Api);
        var directory = api.Container("api").Literal("DistributedAttention__Api__ModelsDirectory");
        Assert.Equal("/models", directory);
        foreach (var (workload, container) in new[] { (api, "api"), (m.Workload(Deployment.Silo), "silo") })
        {
            var mount = Assert.Single(workload.Container(container).VolumeMounts, v => v.MountPath == directory);
            Assert.True(mount.ReadOnlyProperty, $"{workload.Id} mounts the models writable");
            var volume = Assert.Single(workload.Pod.Volumes, v => v.Name == mount.Name);
            Assert.Equal("distattn-models", volume.PersistentVolumeClaim?.ClaimName);
            Assert.True(volume.PersistentVolumeClaim!.ReadOnlyProperty);
        }
    }
}
