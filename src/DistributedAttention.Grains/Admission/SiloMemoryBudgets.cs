using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace DistributedAttention.Grains.Admission;

/// <summary>Every silo's memory budget as this silo knows it: its own from its options, the others' from silo metadata.</summary>
public sealed class SiloMemoryBudgets
{
    private readonly ILocalSiloDetails local;
    private readonly ISiloMetadataCache? metadata;

    /// <summary>Creates the lookup (a silo singleton).</summary>
    public SiloMemoryBudgets(ILocalSiloDetails local, LocalMemoryBudget budget, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(budget);
        this.local = local ?? throw new ArgumentNullException(nameof(local));
        Local = budget.Bytes;
        metadata = services.GetService<ISiloMetadataCache>();
    }

    /// <summary>This silo's budget.</summary>
    public long Local { get; }

    /// <summary>The budget of <paramref name="silo"/>; <see cref="SiloMemoryBudget.Unlimited"/> when it publishes none.</summary>
    public long Of(SiloAddress silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (silo.Equals(local.SiloAddress)) return Local;
        if (metadata is null) return SiloMemoryBudget.Unlimited;
        return SiloMemoryBudget.Parse(metadata.GetSiloMetadata(silo).Metadata.GetValueOrDefault(SiloMemoryBudget.MetadataKey));
    }
}

/// <summary>This silo's memory budget for job tensors, in bytes.</summary>
/// <param name="Bytes">The budget (<see cref="SiloMemoryBudget.Unlimited"/>: none).</param>
public sealed record LocalMemoryBudget(long Bytes);
