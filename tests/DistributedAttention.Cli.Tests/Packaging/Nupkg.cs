using System.IO.Compression;
using System.Xml.Linq;

namespace DistributedAttention.Cli.Tests.Packaging;

/// <summary>What a .nupkg holds, read as the zip file it is: its nuspec and its entries.</summary>
internal sealed record Nupkg(XElement Metadata, IReadOnlyDictionary<string, long> Entries)
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    public static Nupkg Read(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var nuspec = Assert.Single(zip.Entries, e => !e.FullName.Contains('/') && e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspec.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        return new Nupkg(metadata, zip.Entries.ToDictionary(e => e.FullName, e => e.Length));
    }

    /// <summary>The text of the entry <paramref name="name"/> of the package at <paramref name="path"/>.</summary>
    public static string ReadEntry(string path, string name)
    {
        using var zip = ZipFile.OpenRead(path);
        using var reader = new StreamReader((zip.GetEntry(name) ?? throw new FileNotFoundException($"{path} holds no {name}.")).Open());
        return reader.ReadToEnd();
    }

    /// <summary>The text of the metadata element <paramref name="name"/> (e.g. <c>id</c>, <c>version</c>), or null.</summary>
    public string? this[string name] => Metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    /// <summary>The <c>type</c> attribute of the metadata element <paramref name="name"/> (e.g. the license's), or null.</summary>
    public string? TypeOf(string name) => Metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Attribute("type")?.Value;

    /// <summary>The package types (<c>DotnetTool</c> for a tool; none for a library).</summary>
    public IReadOnlyList<string> PackageTypes =>
        Metadata.Descendants().Where(e => e.Name.LocalName == "packageType").Select(e => e.Attribute("name")!.Value).ToList();

    /// <summary>Every dependency of every framework group: id to version range.</summary>
    public IReadOnlyDictionary<string, string> Dependencies =>
        Metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);

    /// <summary>The target frameworks of the dependency groups.</summary>
    public IReadOnlyList<string> DependencyFrameworks =>
        Metadata.Descendants().Where(e => e.Name.LocalName == "group").Select(e => e.Attribute("targetFramework")?.Value ?? "").ToList();
}
