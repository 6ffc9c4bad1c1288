namespace DistributedAttention.Grains.Jobs;

/// <summary>The grain storage that keeps job records: silos must register a provider under <see cref="Name"/>.</summary>
public static class JobStorage
{
    /// <summary>Name of the grain storage provider for job records.</summary>
    public const string Name = "distattn-jobs";

    /// <summary>Name of the job record state within a job grain.</summary>
    public const string StateName = "job";
}
