namespace DistributedAttention.Cli;

/// <summary>A problem with what the user asked for (arguments or input files); reported in one line with exit code 2.</summary>
public sealed class UsageException : Exception
{
    /// <summary>A usage error with a message naming the problem.</summary>
    public UsageException(string message) : base(message)
    {
    }

    /// <summary>A usage error caused by <paramref name="inner"/>.</summary>
    public UsageException(string message, Exception inner) : base(message, inner)
    {
    }
}
