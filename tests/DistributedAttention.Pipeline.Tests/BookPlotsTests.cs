using DistributedAttention.Pipeline;
using DistributedAttention.Pipeline.Local;

namespace DistributedAttention.Pipeline.Tests;

/// <summary>The numbers behind the chapter-similarity picture.</summary>
public sealed class BookPlotsTests
{
    [Fact]
    public void Cosine_similarity_is_one_for_parallel_rows_zero_for_orthogonal_ones_and_for_a_zero_row()
    {
        float[] rows = [1, 0, 2, 2, 0, 4, 0, 3, 0, 0, 0, 0];
        var matrix = BookPlots.CosineSimilarity(rows, 3);
        Assert.Equal(1, matrix[0, 1], 12);
        Assert.Equal(0, matrix[0, 2], 12);
        Assert.Equal(0, matrix[3, 3], 12);
        Assert.Equal(0, matrix[0, 3], 12);
        Assert.Equal(matrix[1, 0], matrix[0, 1]);
    }

    [Fact]
    public void Centred_rows_have_a_zero_mean_and_keep_their_differences()
    {
        float[] rows = [1, 10, 3, 14, 5, 18];
        var centred = BookPlots.Centered(rows, 2);
        Assert.Equal(0, centred[0] + centred[2] + centred[4], 5);
        Assert.Equal(0, centred[1] + centred[3] + centred[5], 5);
        Assert.Equal(rows[2] - rows[0], centred[2] - centred[0], 5);
        // Two rows on opposite sides of the mean point opposite ways.
        Assert.Equal(-1, BookPlots.CosineSimilarity(centred, 2)[0, 2], 6);
    }
}
