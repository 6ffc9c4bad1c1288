using System.Reflection;
using System.Xml.Linq;
using DistributedAttention.Testing.Processes;

namespace DistributedAttention.Http.Tests;

/// <summary>
/// The HTTP API needs no tensor library: neither its project references (followed to the end)
/// nor the assemblies its code binds to reach TorchSharp, Core, Model, Training or the local
/// tensor work of book jobs. (Hosts that have libtorch plug that work in; see Pipeline.Local.)
/// </summary>
public sealed class ApiClosureTests
{
    private static readonly string[] Forbidden =
    [
        "DistributedAttention.Core", "DistributedAttention.Model", "DistributedAttention.Training", "DistributedAttention.Pipeline.Local",
        "DistributedAttention.Grains", "DistributedAttention.Silo",
    ];

    [Fact]
    public void The_api_projects_reference_closure_holds_no_tensor_library()
    {
        var closure = ProjectClosure(Path.Combine(Repo.Root, "src", "DistributedAttention.Http", "DistributedAttention.Http.csproj"));
        Assert.Contains("DistributedAttention.Pipeline", closure.Projects);
        Assert.Contains("DistributedAttention.Formats", closure.Projects);
        foreach (var project in Forbidden) Assert.DoesNotContain(project, closure.Projects);
        Assert.DoesNotContain(closure.Packages, p => p.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || p.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_api_assemblies_bind_to_no_tensor_library()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<AssemblyName>([typeof(ApiHosting).Assembly.GetName()]);
        while (pending.TryDequeue(out var name))
        {
            if (name.Name is not { } simple || !seen.Add(simple) || !simple.StartsWith("DistributedAttention.", StringComparison.Ordinal)) continue;
            foreach (var reference in Assembly.Load(name).GetReferencedAssemblies()) pending.Enqueue(reference);
        }
        Assert.Contains("DistributedAttention.Pipeline", seen);
        Assert.DoesNotContain("TorchSharp", seen);
        foreach (var assembly in Forbidden) Assert.DoesNotContain(assembly, seen);
    }

    /// <summary>Every project reached from <paramref name="csproj"/> by project references, and every package they reference.</summary>
    private static (HashSet<string> Projects, HashSet<string> Packages) ProjectClosure(string csproj)
    {
        var (projects, packages) = (new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.OrdinalIgnoreCase));
        var pending = new Stack<string>([Path.GetFullPath(csproj)]);
        while (pending.TryPop(out var path))
        {
            if (!projects.Add(Path.GetFileNameWithoutExtension(path))) continue;
            var document = XDocument.Load(path);
            foreach (var reference in document.Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar);
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, include)));
            }
            foreach (var package in document.Descendants("PackageReference")) packages.Add(package.Attribute("Include")!.Value);
        }
        return (projects, packages);
    }
}
