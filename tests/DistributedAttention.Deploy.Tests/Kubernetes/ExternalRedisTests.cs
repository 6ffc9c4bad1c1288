using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>The external-redis component removes the bundled Redis and leaves the connection to the Secret.</summary>
public sealed class ExternalRedisTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData("gpu")]
    public void The_bundled_redis_is_gone_and_the_secret_stays(string overlay)
    {
        var m = Rendered.Variant(overlay, remove: [], add: ["external-redis"]);
        Assert.DoesNotContain(m.Objects, o => o.Name == Deployment.Redis && o.Kind != "Secret");
        Assert.True(m.Has<V1Secret>(Deployment.RedisSecret));
        var silo = m.Workload(Deployment.Silo).Container("silo");
        Assert.Equal(Deployment.RedisSecret, silo.Env("DistributedAttention__Silo__RedisConnectionString").ValueFrom.SecretKeyRef.Name);
        // Everything else of the overlay is still there.
        var full = Rendered.Overlay(overlay);
        Assert.Equal(full.Objects.Count - 3, m.Objects.Count);
    }
}
