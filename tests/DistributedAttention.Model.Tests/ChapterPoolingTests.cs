using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests;

public sealed class ChapterPoolingTests
{
    [Fact]
    public void Each_section_is_the_mean_of_its_tokens()
    {
        using var hidden = arange(20, dtype: float32).reshape(10, 2);
        using var pooled = ChapterPooling.MeanPool(hidden, [(0, 2), (2, 10), (9, 10), (0, 10)]);
        Assert.Equal([4L, 2L], pooled.shape);
        // token t holds (2t, 2t + 1)
        Assert.Equal(new double[] { 1, 2, 11, 12, 18, 19, 9, 10 }, Tensors.Values(pooled));
    }

    [Fact]
    public void No_sections_give_an_empty_matrix_and_bad_ranges_are_rejected()
    {
        using var hidden = zeros(10, 3);
        using var none = ChapterPooling.MeanPool(hidden, []);
        Assert.Equal([0L, 3L], none.shape);
        Assert.Contains("section 1 [5, 5)", Assert.Throws<ArgumentException>(() => ChapterPooling.MeanPool(hidden, [(0, 5), (5, 5)])).Message);
        Assert.Throws<ArgumentException>(() => ChapterPooling.MeanPool(hidden, [(8, 11)]));
        Assert.Throws<ArgumentException>(() => ChapterPooling.MeanPool(hidden, [(-1, 3)]));
        using var batched = zeros(1, 10, 3);
        Assert.Contains("(n, d)", Assert.Throws<ArgumentException>(() => ChapterPooling.MeanPool(batched, [(0, 1)])).Message);
    }
}
