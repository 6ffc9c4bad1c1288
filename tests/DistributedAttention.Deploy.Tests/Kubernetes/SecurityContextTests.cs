using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>Every container runs non-root, read-only, without privileges (the "restricted" Pod Security Standard and more).</summary>
public sealed class SecurityContextTests
{
    public static TheoryData<string> Overlays => [.. Rendered.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_container_is_locked_down(string overlay)
    {
        foreach (var w in Rendered.Overlay(overlay).Workloads)
        {
            var pod = w.Pod.SecurityContext;
            foreach (var c in w.AllContainers)
            {
                var s = c.SecurityContext;
                var where = $"{overlay}: {w.Id}/{c.Name}";
                Assert.True((s?.RunAsNonRoot ?? pod?.RunAsNonRoot) == true, $"{where} may run as root.");
                var uid = s?.RunAsUser ?? pod?.RunAsUser;
                var expectedUid = c.Image.StartsWith("redis:", StringComparison.Ordinal) ? Deployment.RedisUid : Deployment.AppUid;
                Assert.True(uid == expectedUid, $"{where} runs as uid {uid}, not {expectedUid}.");
                Assert.True(s?.AllowPrivilegeEscalation == false, $"{where} allows privilege escalation.");
                Assert.True(s?.ReadOnlyRootFilesystem == true, $"{where} has a writable root filesystem.");
                Assert.True(s?.Privileged is null or false, $"{where} is privileged.");
                Assert.True(s?.Capabilities?.Drop?.Contains("ALL") == true, $"{where} keeps capabilities.");
                Assert.True(s?.Capabilities?.Add is null or { Count: 0 }, $"{where} adds capabilities.");
                Assert.True((s?.SeccompProfile ?? pod?.SeccompProfile)?.Type == "RuntimeDefault", $"{where} has no RuntimeDefault seccomp profile.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Pods_hold_no_api_token_and_share_nothing_with_the_node(string overlay)
    {
        foreach (var w in Rendered.Overlay(overlay).Workloads)
        {
            Assert.True(w.Pod.AutomountServiceAccountToken == false, $"{overlay}: {w.Id} mounts a service account token.");
            Assert.True(w.Pod.HostNetwork is null or false && w.Pod.HostPID is null or false && w.Pod.HostIPC is null or false, $"{overlay}: {w.Id} shares host namespaces.");
            Assert.True((w.Pod.Volumes ?? []).All(v => v.HostPath is null), $"{overlay}: {w.Id} mounts a host path.");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_container_has_a_writable_tmp_of_its_own(string overlay)
    {
        foreach (var w in Rendered.Overlay(overlay).Workloads)
        {
            foreach (var c in w.AllContainers)
            {
                var mount = (c.VolumeMounts ?? []).SingleOrDefault(v => v.MountPath == "/tmp");
                Assert.True(mount is not null, $"{overlay}: {w.Id}/{c.Name} has no /tmp mount.");
                Assert.NotEqual(true, mount.ReadOnlyProperty);
                Assert.True((w.Pod.Volumes ?? []).Any(v => v.Name == mount.Name && v.EmptyDir is not null), $"{overlay}: {w.Id}/{c.Name}'s /tmp is not an emptyDir.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_namespace_enforces_the_restricted_pod_security_standard(string overlay)
    {
        var ns = Rendered.Overlay(overlay).Get<V1Namespace>(Deployment.Namespace);
        Assert.Equal("restricted", ns.Metadata.Labels["pod-security.kubernetes.io/enforce"]);
    }
}
