namespace DistributedAttention.Cli.Tests.Packaging;

/// <summary>
/// The package and install tests share one pack and one install (about a minute). They run after
/// the other collections, alone: packing keeps the cores busy compressing libtorch for half a
/// minute, which the timing-sensitive process tests (silos killed mid-job) should not compete with.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackagedToolCollection : ICollectionFixture<PackagedTool>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "packaged tool";
}
