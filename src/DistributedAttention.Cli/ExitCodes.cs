namespace DistributedAttention.Cli;

/// <summary>Process exit codes of <c>distattn</c>.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The job failed on the cluster, the cluster could not be reached, or something unexpected broke.</summary>
    public const int JobFailed = 1;

    /// <summary>Bad usage or input: unknown option, bad value, missing or malformed input file.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted by Ctrl+C or SIGTERM (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
