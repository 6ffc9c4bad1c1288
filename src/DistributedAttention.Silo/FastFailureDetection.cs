using Orleans.Configuration;

namespace DistributedAttention.Silo;

/// <summary>
/// Membership settings that declare a dead silo in seconds, used for localhost clusters (one
/// machine, no network partitions): a silo is probed every <see cref="ProbeTimeout"/>; after
/// <see cref="MissedProbes"/> missed probes (and a failed indirect probe through another silo)
/// one vote declares it dead, so a crashed silo is gone after a few seconds (about 2–6 s on one machine) instead of Orleans.
/// default ~30 s+. Others read the table every <see cref="TableRefresh"/>.
/// </summary>
public static class FastFailureDetection
{
    /// <summary>Probe period and timeout.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Missed probes before a silo suspects another.</summary>
    public const int MissedProbes = 3;

    /// <summary>Suspicions needed to declare a silo dead.</summary>
    public const int VotesForDeath = 1;

    /// <summary>How often silos re-read the membership table.</summary>
    public static readonly TimeSpan TableRefresh = TimeSpan.FromSeconds(2);

    /// <summary>How often a silo writes its I-am-alive time to the table.</summary>
    public static readonly TimeSpan IAmAlivePublish = TimeSpan.FromSeconds(5);

    /// <summary>How long a death vote counts.</summary>
    public static readonly TimeSpan DeathVoteExpiration = TimeSpan.FromSeconds(20);

    /// <summary>Applies the settings.</summary>
    public static void Apply(ClusterMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ProbeTimeout = ProbeTimeout;
        options.NumMissedProbesLimit = MissedProbes;
        options.NumVotesForDeathDeclaration = VotesForDeath;
        options.TableRefreshTimeout = TableRefresh;
        options.IAmAliveTablePublishTimeout = IAmAlivePublish;
        options.DeathVoteExpirationTimeout = DeathVoteExpiration;
    }
}
