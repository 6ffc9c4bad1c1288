using Orleans.Concurrency;

namespace DistributedAttention.Abstractions;

/// <summary>
/// The cluster's memory ledger (key 0): which jobs hold memory on which silo, and which wait for
/// it. A job is admitted when its estimated memory (<see cref="JobMemory"/>), placed the way ring
/// placement will place its shards, fits every silo's budget next to the jobs already admitted;
/// otherwise it queues (first in, first out) up to the configured queue length, and beyond that
/// it is refused. Kept in memory: coordinators renew their jobs' entries every second, so a
/// ledger lost with its silo is rebuilt within seconds, and entries nobody renews expire.
/// </summary>
[Alias("distattn.IAdmissionGrain")]
public interface IAdmissionGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Admits, queues or refuses a job that does not hold memory yet. Asking again for a queued job
    /// keeps its place and admits it once it is first in the queue and fits.
    /// </summary>
    [Alias("Request")]
    Task<AdmissionTicket> RequestAsync(AdmissionRequest request);

    /// <summary>Keeps (or, after the ledger was lost, restores) an admitted job's memory; a job that runs holds its memory whatever the budget.</summary>
    [Alias("Renew")]
    Task RenewAsync(AdmissionRequest request);

    /// <summary>Frees the job's memory, or takes it out of the queue.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string jobId);

    /// <summary>What the ledger holds now: every silo's budget and reservations, and the queue.</summary>
    [AlwaysInterleave, Alias("GetSnapshot")]
    Task<AdmissionSnapshot> GetSnapshotAsync();
}

/// <summary>A job's memory, for the ledger.</summary>
/// <param name="JobId">The job.</param>
/// <param name="ShardBytes">Estimated peak bytes of each shard (<see cref="JobMemory.PerShard"/>).</param>
[GenerateSerializer, Immutable, Alias("distattn.AdmissionRequest")]
public sealed record AdmissionRequest(string JobId, long[] ShardBytes);

/// <summary>What the ledger decided.</summary>
[GenerateSerializer, Alias("distattn.AdmissionOutcome")]
public enum AdmissionOutcome
{
    /// <summary>The job holds its memory: it may upload and run.</summary>
    Admitted = 0,

    /// <summary>The job waits for memory; ask again.</summary>
    Queued = 1,

    /// <summary>The job is not taken; <see cref="AdmissionTicket.Reason"/> says why.</summary>
    Refused = 2,
}

/// <summary>Why a job was refused.</summary>
[GenerateSerializer, Alias("distattn.AdmissionRefusal")]
public enum AdmissionRefusal
{
    /// <summary>Not refused.</summary>
    None = 0,

    /// <summary>The queue is full: try again later.</summary>
    QueueFull = 1,

    /// <summary>Even on an idle cluster some silo's share of the job exceeds its budget: use more shards or more silos.</summary>
    TooLarge = 2,
}

/// <summary>The ledger's answer.</summary>
/// <param name="Outcome">Admitted, queued or refused.</param>
/// <param name="QueuePosition">Jobs ahead of this one when queued.</param>
/// <param name="Refusal">Why it was refused.</param>
/// <param name="Reason">A message for people when refused.</param>
[GenerateSerializer, Immutable, Alias("distattn.AdmissionTicket")]
public sealed record AdmissionTicket(AdmissionOutcome Outcome, int QueuePosition = 0, AdmissionRefusal Refusal = AdmissionRefusal.None, string Reason = "");

/// <summary>The ledger's state.</summary>
/// <param name="Silos">Each silo's budget and reserved bytes.</param>
/// <param name="Admitted">Jobs holding memory.</param>
/// <param name="Queued">Jobs waiting, first in line first.</param>
/// <param name="MaxQueued">The queue's length limit.</param>
[GenerateSerializer, Immutable, Alias("distattn.AdmissionSnapshot")]
public sealed record AdmissionSnapshot(SiloMemory[] Silos, string[] Admitted, string[] Queued, int MaxQueued);

/// <summary>One silo in the ledger.</summary>
/// <param name="Silo">Its address.</param>
/// <param name="BudgetBytes">Its budget (<see cref="long.MaxValue"/>: none).</param>
/// <param name="ReservedBytes">Estimated bytes of the admitted jobs' shards placed on it.</param>
[GenerateSerializer, Immutable, Alias("distattn.SiloMemory")]
public sealed record SiloMemory(string Silo, long BudgetBytes, long ReservedBytes);

/// <summary>A job the cluster did not take: its queue is full, or the job can never fit its silos' memory budgets.</summary>
[GenerateSerializer, Alias("distattn.AdmissionRefusedException")]
public sealed class AdmissionRefusedException : Exception
{
    /// <summary>A refusal.</summary>
    public AdmissionRefusedException(AdmissionRefusal refusal, string message) : base(message) => Refusal = refusal;

    /// <summary>A refusal with no reason given.</summary>
    public AdmissionRefusedException() : this(AdmissionRefusal.QueueFull, "the cluster refused the job.") { }

    /// <summary>A refusal with a message.</summary>
    public AdmissionRefusedException(string message) : this(AdmissionRefusal.QueueFull, message) { }

    /// <summary>A refusal with a message and a cause.</summary>
    public AdmissionRefusedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Why: the queue was full (try later), or the job is too large for the silos.</summary>
    [Id(0)] public AdmissionRefusal Refusal { get; init; }
}
