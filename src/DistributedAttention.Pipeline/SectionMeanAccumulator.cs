using System.Runtime.InteropServices;

namespace DistributedAttention.Pipeline;

/// <summary>
/// Mean hidden state of each section (chapter), accumulated from row blocks as they stream
/// past: memory is sections × d sums, never the n × d states. Sums are kept in double so a
/// chapter of 10⁵ tokens loses no precision; the result matches <c>ChapterPooling.MeanPool</c>.
/// </summary>
public sealed class SectionMeanAccumulator
{
    private readonly (long Start, long End)[] sections;
    private readonly int dim;
    private readonly double[] sums;
    private readonly long[] counts;

    /// <summary>Accumulates means over <paramref name="sections"/>, each a non-empty token range [Start, End); ranges may overlap.</summary>
    /// <exception cref="ArgumentException">A range is empty or negative, or <paramref name="modelDim"/> is not positive.</exception>
    public SectionMeanAccumulator(IReadOnlyList<(long Start, long End)> sections, int modelDim)
    {
        ArgumentNullException.ThrowIfNull(sections);
        if (modelDim < 1) throw new ArgumentException($"model dim must be >= 1 (got {modelDim}).", nameof(modelDim));
        for (var i = 0; i < sections.Count; i++)
        {
            if (sections[i].Start < 0 || sections[i].Start >= sections[i].End)
            {
                throw new ArgumentException($"section {i} [{sections[i].Start}, {sections[i].End}) must be a non-empty range of non-negative positions.", nameof(sections));
            }
        }
        this.sections = [.. sections];
        dim = modelDim;
        sums = new double[checked(sections.Count * modelDim)];
        counts = new long[sections.Count];
    }

    /// <summary>Number of sections.</summary>
    public int Count => sections.Length;

    /// <summary>Adds rows <paramref name="rowStart"/> .. rowStart + rows − 1 (fp32 little-endian, row-major, d per row).</summary>
    /// <exception cref="ArgumentException">The byte count is not a whole number of rows.</exception>
    public void Add(long rowStart, ReadOnlySpan<byte> data)
    {
        var rowBytes = dim * sizeof(float);
        if (data.Length % rowBytes != 0) throw new ArgumentException($"{data.Length} bytes is not a whole number of {dim}-float rows.", nameof(data));
        var values = MemoryMarshal.Cast<byte, float>(data);
        var rowEnd = rowStart + data.Length / rowBytes;
        for (var s = 0; s < sections.Length; s++)
        {
            var from = Math.Max(rowStart, sections[s].Start);
            var to = Math.Min(rowEnd, sections[s].End);
            if (from >= to) continue;
            var sum = sums.AsSpan(s * dim, dim);
            for (var r = from; r < to; r++)
            {
                var row = values.Slice((int)(r - rowStart) * dim, dim);
                for (var j = 0; j < dim; j++) sum[j] += row[j];
            }
            counts[s] += to - from;
        }
    }

    /// <summary>The means, (sections, d) fp32 row-major.</summary>
    /// <exception cref="InvalidOperationException">Some section has not received all its rows.</exception>
    public float[] Means()
    {
        var result = new float[sums.Length];
        for (var s = 0; s < sections.Length; s++)
        {
            var length = sections[s].End - sections[s].Start;
            if (counts[s] != length)
            {
                throw new InvalidOperationException($"section {s} [{sections[s].Start}, {sections[s].End}) received {counts[s]} of its {length} rows.");
            }
            for (var j = 0; j < dim; j++) result[s * dim + j] = (float)(sums[s * dim + j] / length);
        }
        return result;
    }
}
