namespace DistributedAttention.Testing.Processes;

/// <summary>The <c>distattn</c> processes a test starts, all stopped when it ends.</summary>
public sealed class ChildProcesses : IDisposable
{
    private readonly List<ChildProcess> children = [];

    /// <summary>Starts <c>distattn ARGS</c> and keeps it for <see cref="Dispose"/>.</summary>
    public ChildProcess Start(string name, params string[] arguments)
    {
        var child = ChildProcess.Start(name, arguments);
        lock (children) children.Add(child);
        return child;
    }

    /// <summary>Kills whatever is still running.</summary>
    public void Dispose()
    {
        lock (children)
        {
            foreach (var child in children) child.Dispose();
            children.Clear();
        }
    }
}
