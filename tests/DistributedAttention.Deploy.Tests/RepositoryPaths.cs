namespace DistributedAttention.Deploy.Tests;

/// <summary>Files of the repository the deployment tests read, found from the test's output folder upwards.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The folder holding DistributedAttention.sln.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The kustomize tree (base, components, overlays).</summary>
    public static string K8s => Path.Combine(Root, "k8s");

    /// <summary>The image names the build tags and the deployments run.</summary>
    public static string ImagesEnv => Path.Combine(Root, "deploy", "images.env");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DistributedAttention.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No DistributedAttention.sln above {AppContext.BaseDirectory}.");
    }
}
