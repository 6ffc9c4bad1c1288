using System.Collections.Immutable;
using DistributedAttention.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DistributedAttention.Analyzers.Tests;

/// <summary>
/// DA0001 on small programs compiled against TorchSharp's real API: each way of making a
/// Scalar for one call is flagged, and each way of keeping one is not.
/// </summary>
public sealed class TemporaryScalarAnalyzerTests
{
    [Theory]
    [InlineData("t.mul(2.0)")]
    [InlineData("t.masked_fill(t.eq(t), 0)")]
    [InlineData("arange(n, dtype: ScalarType.Int64)")]
    [InlineData("t.add(t)")]
    [InlineData("t.add_(t)")]
    [InlineData("t.addcdiv(t, t)")]
    [InlineData("t + t")]
    [InlineData("t * 2.0")]
    [InlineData("t.mul(2.0.ToScalar())")]
    public void A_Scalar_made_for_one_call_is_flagged(string expression)
    {
        var diagnostics = Analyze($"var r = {expression};");
        Assert.Contains(diagnostics, d => d.Id == TemporaryScalarAnalyzer.Id);
    }

    [Fact]
    public void A_local_Scalar_without_using_is_flagged_because_its_last_use_ends_its_life()
    {
        var diagnostics = Analyze("var s = 2.0.ToScalar(); var r = t.mul(s);");
        Assert.Single(diagnostics, d => d.Id == TemporaryScalarAnalyzer.Id);
    }

    [Theory]
    [InlineData("using var s = 2.0.ToScalar(); var r = t.mul(s);")]
    [InlineData("using (var s = 2.0.ToScalar()) { var r = t.mul(s); }")]
    [InlineData("var r = t.add(t, One);")]
    [InlineData("var r = t.sub(t).mul(t).div(t);")]
    [InlineData("var r = t - t;")]
    [InlineData("var r = t.masked_fill(t.eq(t), One);")]
    public void A_kept_Scalar_or_a_call_without_one_passes(string statements)
    {
        var diagnostics = Analyze(statements);
        Assert.DoesNotContain(diagnostics, d => d.Id == TemporaryScalarAnalyzer.Id);
    }

    private static ImmutableArray<Diagnostic> Analyze(string statements)
    {
        var source = $$"""
            using TorchSharp;
            using static TorchSharp.torch;
            public static class Sample
            {
                private static readonly Scalar One = 1.ToScalar();
                public static void Run(Tensor t, long n)
                {
                    {{statements}}
                }
            }
            """;
        var compilation = CSharpCompilation.Create("Sample",
            [CSharpSyntaxTree.ParseText(source)],
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return compilation.WithAnalyzers([new TemporaryScalarAnalyzer()]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
    }

    private static IEnumerable<MetadataReference> References()
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return platform.Select(p => MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location));
    }
}
