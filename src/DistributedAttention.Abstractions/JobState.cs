namespace DistributedAttention.Abstractions;

/// <summary>Where a job is in its life.</summary>
[GenerateSerializer, Alias("distattn.JobState")]
public enum JobState
{
    /// <summary>Planned and admitted; inputs may still be uploading.</summary>
    Created = 0,

    /// <summary>Layers are running.</summary>
    Running = 1,

    /// <summary>Every layer is done; the output can be read from the shards.</summary>
    Completed = 2,

    /// <summary>Stopped by an error; see <see cref="JobStatus.Error"/>.</summary>
    Failed = 3,

    /// <summary>Stopped on request.</summary>
    Cancelled = 4,

    /// <summary>
    /// Planned, waiting for memory: admitting it now would take some silo past its memory budget.
    /// Its shards have not joined; upload once it is <see cref="Created"/>.
    /// </summary>
    Queued = 5,
}
