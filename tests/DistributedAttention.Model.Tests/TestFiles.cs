namespace DistributedAttention.Model.Tests;

/// <summary>A fresh temporary folder, deleted with its contents on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "distattn-model-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Locations in the repository.</summary>
internal static class Repo
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
