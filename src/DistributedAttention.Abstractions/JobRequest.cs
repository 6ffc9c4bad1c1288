namespace DistributedAttention.Abstractions;

/// <summary>A job to run: what it computes and how to split it.</summary>
/// <param name="Work">What the job computes.</param>
/// <param name="Options">Split and run options.</param>
[GenerateSerializer, Immutable, Alias("distattn.JobRequest")]
public sealed record JobRequest(JobWork Work, JobOptions Options)
{
    /// <summary>Checks work and options together; every problem is named.</summary>
    /// <exception cref="ArgumentException">The request is invalid.</exception>
    public void Validate()
    {
        if (Work is null) throw new ArgumentException("the request says nothing about the work.");
        if (Options is null) throw new ArgumentException("the request has no job options.");
        Work.Validate();
        Options.Validate(Work.Length);
    }
}
