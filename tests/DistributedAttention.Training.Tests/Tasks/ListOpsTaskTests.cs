using DistributedAttention.Training.Tasks;

namespace DistributedAttention.Training.Tests.Tasks;

public sealed class ListOpsTaskTests
{
    private const int Max = ListOpsTask.Max, Min = ListOpsTask.Min, Med = ListOpsTask.Median, Sm = ListOpsTask.SumModulo, Close = ListOpsTask.Close;

    [Theory]
    [InlineData(new[] { 7 }, 7)]
    [InlineData(new[] { Max, 2, 9, Min, 4, 7, Close, 0, Close }, 9)]
    [InlineData(new[] { Med, 1, 2, 3, 4, Close }, 2)]       // even count: (2 + 3) / 2 rounded down
    [InlineData(new[] { Med, 5, 1, 9, Close }, 5)]
    [InlineData(new[] { Sm, 5, 7, 9, Close }, 1)]
    [InlineData(new[] { Min, Sm, 9, 9, Close, Max, 3, 1, Close, Close }, 3)]
    public void Evaluate_GivesTheValueOfAnExpression(int[] tokens, int value) => Assert.Equal(value, ListOpsTask.Evaluate(tokens));

    [Theory]
    [InlineData(new[] { Max, 2, 9 }, "not closed")]
    [InlineData(new[] { Close }, "without an operator")]
    [InlineData(new[] { Max, Close }, "without arguments")]
    [InlineData(new[] { 1, 2 }, "follow the end")]
    [InlineData(new[] { 15 }, "not part of ListOps")]
    public void Evaluate_RejectsMalformedTokens(int[] tokens, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => ListOpsTask.Evaluate(tokens)).Message, StringComparison.Ordinal);

    [Fact]
    public void Generate_KeepsLengthDepthAndArgumentsWithinTheSpecAndLabelsEveryTreeWithItsValue()
    {
        var task = new ListOpsTask(100, 400);
        var random = new Random(3);
        var labels = new HashSet<int>();
        for (var i = 0; i < 60; i++)
        {
            var example = task.Generate(random);
            Assert.InRange(example.Tokens.Length, 100, 400);
            Assert.Equal(ReferenceValue(example.Tokens, out var depth, out var widest), example.Label);
            Assert.InRange(depth, 1, 9);      // operators nest at most 9 deep: nodes at depth 10 are digits
            Assert.InRange(widest, 2, 10);
            Assert.All(example.Tokens, t => Assert.InRange(t, 0, task.VocabSize - 1));
            Assert.DoesNotContain(task.PadToken, example.Tokens);
            labels.Add(example.Label);
        }
        Assert.True(labels.Count >= 5, $"only classes {string.Join(", ", labels)} in 60 trees");
    }

    [Fact]
    public void Generate_IsAFunctionOfTheRandomState()
    {
        var task = new ListOpsTask(50, 300);
        var a = task.Generate(new Random(11));
        var b = task.Generate(new Random(11));
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.Equal(a.Label, b.Label);
    }

    [Theory]
    [InlineData(0, 10, "1 <= min <= max")]
    [InlineData(20, 10, "1 <= min <= max")]
    public void Generate_RejectsBadSettings(int min, int max, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => new ListOpsTask(min, max).Generate(new Random(1))).Message, StringComparison.Ordinal);

    /// <summary>An evaluator written apart from the task's: recursive descent, also measuring nesting and the widest operator.</summary>
    private static int ReferenceValue(int[] tokens, out int depth, out int widest)
    {
        var at = 0;
        var (deepest, wide) = (0, 0);
        var value = Parse(1);
        Assert.Equal(tokens.Length, at);
        depth = deepest;
        widest = wide;
        return value;

        int Parse(int level)
        {
            var token = tokens[at++];
            if (token < 10) return token;
            deepest = Math.Max(deepest, level);
            var values = new List<int>();
            while (tokens[at] != Close) values.Add(Parse(level + 1));
            at++;
            wide = Math.Max(wide, values.Count);
            values.Sort();
            return token switch
            {
                Max => values[^1],
                Min => values[0],
                Sm => values.Sum() % 10,
                _ => (values[(values.Count - 1) / 2] + values[values.Count / 2]) / 2,
            };
        }
    }
}
