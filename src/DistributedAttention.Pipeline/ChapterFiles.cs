using System.Runtime.InteropServices;
using DistributedAttention.Formats;

namespace DistributedAttention.Pipeline;

/// <summary>chapters.safetensors (tensor "chapters", (sections, d_model)) and chapters.json (titles and token ranges, row for row).</summary>
internal static class ChapterFiles
{
    public const string TensorName = "chapters";

    /// <summary>Writes both files into <paramref name="folder"/>.</summary>
    /// <param name="folder">The output folder.</param>
    /// <param name="sections">One entry per row of <paramref name="means"/>.</param>
    /// <param name="means">(sections, d) fp32 row-major mean hidden states.</param>
    /// <param name="modelDim">d.</param>
    /// <param name="metadata">Extra metadata for the safetensors file.</param>
    public static void Write(string folder, IReadOnlyList<SectionRange> sections, float[] means, int modelDim, IReadOnlyDictionary<string, string> metadata)
    {
        using (var writer = new SafetensorsStreamWriter(Path.Combine(folder, "chapters.safetensors"),
            [SafetensorsDeclaration.Float32(TensorName, sections.Count, modelDim)], metadata))
        {
            writer.Write(TensorName, MemoryMarshal.AsBytes(means.AsSpan()));
            writer.Complete();
        }
        JsonFiles.Write(Path.Combine(folder, "chapters.json"), sections);
    }
}
