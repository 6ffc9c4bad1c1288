namespace DistributedAttention.Cli.Dashboard;

/// <summary>The Aspire dashboard could not be found, did not come up, or stopped on its own; the message says which and how to fix it.</summary>
public sealed class DashboardUnavailableException : Exception
{
    /// <summary>A failure described by <paramref name="message"/>.</summary>
    public DashboardUnavailableException(string message) : base(message)
    {
    }

    /// <summary>A failure described by <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public DashboardUnavailableException(string message, Exception inner) : base(message, inner)
    {
    }
}
