namespace DistributedAttention.Training.Tasks;

/// <summary>
/// ListOps as the Long Range Arena specifies it: a nested list expression such as
/// <c>[MAX 2 9 [MIN 4 7 ] 0 ]</c> over the digits 0–9 with the operators MAX, MIN, MED (median,
/// the mean of the two middle values rounded down when the count is even) and SM (sum modulo 10);
/// the class is the expression's value. Trees are drawn top-down (each node below
/// <see cref="MaxDepth"/> is an operator with probability <see cref="OperatorProbability"/> and
/// 2 to <see cref="MaxArguments"/> arguments, otherwise a digit) and kept when their token count
/// lies in [<see cref="MinLength"/>, <see cref="MaxLength"/>] (LRA: depth 10, 10 arguments, up to 2K tokens).
/// </summary>
/// <param name="MinLength">Fewest tokens of an example.</param>
/// <param name="MaxLength">Most tokens of an example.</param>
/// <param name="MaxDepth">Deepest nesting (the root is depth 1).</param>
/// <param name="MaxArguments">Most arguments of one operator.</param>
/// <param name="OperatorProbability">Chance that a node above the deepest level is an operator.</param>
public sealed record ListOpsTask(int MinLength, int MaxLength, int MaxDepth = 10, int MaxArguments = 10, double OperatorProbability = 0.25) : IClassificationTask
{
    /// <summary>Token of the first operator; digits are their own ids 0–9.</summary>
    public const int Max = 10;

    /// <summary>MIN's token.</summary>
    public const int Min = 11;

    /// <summary>MED's token.</summary>
    public const int Median = 12;

    /// <summary>SM's token.</summary>
    public const int SumModulo = 13;

    /// <summary>The closing bracket.</summary>
    public const int Close = 14;

    private const int Attempts = 1_000_000;

    /// <inheritdoc />
    public string Name => "ListOps";

    /// <inheritdoc />
    public int VocabSize => 16;

    /// <inheritdoc />
    public int Classes => 10;

    /// <inheritdoc />
    public int PadToken => 15;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No tree of an allowed length was drawn in a million attempts.</exception>
    public ClassificationExample Generate(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Validate();
        var tokens = new List<int>(MaxLength);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            tokens.Clear();
            if (Node(random, 1, tokens) is { } value && tokens.Count >= MinLength) return new ClassificationExample([.. tokens], value);
        }
        throw new InvalidOperationException($"no ListOps tree of {MinLength} to {MaxLength} tokens in {Attempts:N0} attempts; widen the length range.");
    }

    /// <summary>The value of an expression written as tokens (the reference the generator's labels are tested against).</summary>
    /// <exception cref="FormatException">The tokens are not one well-formed expression.</exception>
    public static int Evaluate(IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var stack = new Stack<(int Operator, List<int> Arguments)>();
        int? result = null;
        foreach (var token in tokens)
        {
            if (result is not null) throw new FormatException("tokens follow the end of the expression.");
            if (token is >= 0 and <= 9)
            {
                if (stack.Count == 0) result = token;
                else stack.Peek().Arguments.Add(token);
            }
            else if (token is Max or Min or Median or SumModulo)
            {
                stack.Push((token, []));
            }
            else if (token == Close)
            {
                if (stack.Count == 0) throw new FormatException("a closing bracket without an operator.");
                var (op, arguments) = stack.Pop();
                if (arguments.Count == 0) throw new FormatException("an operator without arguments.");
                var value = Apply(op, arguments);
                if (stack.Count == 0) result = value;
                else stack.Peek().Arguments.Add(value);
            }
            else
            {
                throw new FormatException($"token {token} is not part of ListOps.");
            }
        }
        return result ?? throw new FormatException("the expression is not closed.");
    }

    /// <summary>Appends a subtree to <paramref name="tokens"/>; its value, or null once the tokens pass <see cref="MaxLength"/>.</summary>
    private int? Node(Random random, int depth, List<int> tokens)
    {
        if (depth >= MaxDepth || random.NextDouble() >= OperatorProbability)
        {
            var digit = random.Next(10);
            tokens.Add(digit);
            return tokens.Count <= MaxLength ? digit : null;
        }
        var op = Max + random.Next(4);
        var count = random.Next(2, MaxArguments + 1);
        tokens.Add(op);
        var arguments = new List<int>(count);
        for (var a = 0; a < count; a++)
        {
            if (Node(random, depth + 1, tokens) is not { } value) return null;
            arguments.Add(value);
        }
        tokens.Add(Close);
        return tokens.Count <= MaxLength ? Apply(op, arguments) : null;
    }

    private static int Apply(int op, List<int> arguments)
    {
        switch (op)
        {
            case Max: return arguments.Max();
            case Min: return arguments.Min();
            case SumModulo: return arguments.Sum() % 10;
            default:
                var sorted = arguments.Order().ToList();
                var middle = sorted.Count / 2;
                return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }

    private void Validate()
    {
        if (MinLength < 1 || MaxLength < MinLength) throw new ArgumentException($"ListOps lengths must satisfy 1 <= min <= max; got {MinLength} to {MaxLength}.");
        if (MaxDepth < 1 || MaxArguments < 2) throw new ArgumentException($"ListOps needs a depth of at least 1 and at least 2 arguments; got depth {MaxDepth}, {MaxArguments} arguments.");
        if (OperatorProbability is < 0 or > 1) throw new ArgumentException($"the operator probability must be in [0, 1]; got {OperatorProbability}.");
    }
}
