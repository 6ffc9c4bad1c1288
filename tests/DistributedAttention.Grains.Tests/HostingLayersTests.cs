using System.Reflection;
using DistributedAttention.Client;
using DistributedAttention.Hosting;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// The hosting projects point one way: the silo and the client each build on the shared hosting
/// wiring and never on each other, and the embedded multi-silo harness sits above both, outside
/// the production silo assembly.
/// </summary>
public sealed class HostingLayersTests
{
    private static readonly Assembly Silo = typeof(SiloHostingExtensions).Assembly;
    private static readonly Assembly Client = typeof(ClientHostingExtensions).Assembly;
    private static readonly Assembly Shared = typeof(ClusteringMode).Assembly;
    private static readonly Assembly Harness = typeof(LocalCluster).Assembly;

    [Fact]
    public void The_silo_builds_on_the_shared_hosting_wiring_and_not_on_the_client()
    {
        var references = References(Silo);
        Assert.Contains(Shared.GetName().Name, references);
        Assert.DoesNotContain(Client.GetName().Name, references);
        Assert.DoesNotContain(Harness.GetName().Name, references);
    }

    [Fact]
    public void The_client_builds_on_the_shared_hosting_wiring_and_on_nothing_of_the_silo()
    {
        var references = References(Client);
        Assert.Contains(Shared.GetName().Name, references);
        Assert.DoesNotContain(Silo.GetName().Name, references);
        Assert.DoesNotContain(Harness.GetName().Name, references);
        Assert.DoesNotContain(references, r => r.StartsWith("DistributedAttention.Grains", StringComparison.Ordinal));
    }

    [Fact]
    public void The_shared_wiring_references_no_other_project_and_the_harness_lives_outside_the_silo()
    {
        Assert.DoesNotContain(References(Shared), r => r.StartsWith("DistributedAttention.", StringComparison.Ordinal));
        Assert.NotEqual(Silo, Harness);
        Assert.Null(Silo.GetType("DistributedAttention.Silo.LocalCluster"));
        Assert.Contains(Silo.GetName().Name, References(Harness));
        Assert.Contains(Client.GetName().Name, References(Harness));
    }

    private static string[] References(Assembly assembly) => [.. assembly.GetReferencedAssemblies().Select(a => a.Name ?? "")];
}
