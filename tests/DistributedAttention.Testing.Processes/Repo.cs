namespace DistributedAttention.Testing.Processes;

/// <summary>Locations in the repository.</summary>
public static class Repo
{
    /// <summary>The repository root: the first ancestor of the test binaries that holds eng/.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "eng", "check-safetensors.py"))) return dir.FullName;
            }
            throw new InvalidOperationException($"no ancestor of {AppContext.BaseDirectory} holds eng/check-safetensors.py.");
        }
    }
}
