using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DistributedAttention.Analyzers;

/// <summary>
/// DA0001: a TorchSharp Scalar made only for one native call.
/// </summary>
/// <remarks>
/// TorchSharp frees a native Scalar in its finalizer, and nothing keeps the managed object alive
/// while the native call it was made for runs. A garbage collection during that call can free the
/// Scalar before libtorch reads it; libtorch then reads freed memory (a silo failed a layer with
/// "Expected false to be true … toFloat", another with "alpha must not be a floating point number"
/// for an integer add of 1). The rule flags the three ways such a Scalar is made: a number converted
/// to a Scalar as an argument or operand, a <c>ToScalar()</c> passed straight on, and the calls
/// that make one inside TorchSharp (an <c>add</c> without alpha and the like, tensor <c>+</c>, an
/// operator with a number operand). Kept Scalars (a static field, or a <c>using</c> local that lives past the call) pass.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TemporaryScalarAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The rule's id.</summary>
    public const string Id = "DA0001";

    private static readonly DiagnosticDescriptor Rule = new(
        Id,
        "A TorchSharp Scalar is made for one native call and can be freed during it",
        "{0}: pass a Scalar that outlives the call (KeptScalars, a static field, or a using local)",
        "Reliability",
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "TorchSharp frees native Scalars in a finalizer that a garbage collection can run while libtorch still reads them.");

    private const string ScalarType = "TorchSharp.Scalar";
    private const string TensorType = "TorchSharp.torch.Tensor";
    private const string TorchType = "TorchSharp.torch";

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(AnalyzeConversion, OperationKind.Conversion);
        context.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
        context.RegisterOperationAction(AnalyzeBinary, OperationKind.Binary, OperationKind.CompoundAssignment);
    }

    private static void AnalyzeConversion(OperationAnalysisContext context)
    {
        var conversion = (IConversionOperation)context.Operation;
        if (!IsNamed(conversion.Type, ScalarType) || IsNamed(conversion.Operand.Type, ScalarType)) return;
        if (conversion.OperatorMethod is null || IsKept(conversion)) return;
        context.ReportDiagnostic(Diagnostic.Create(Rule, conversion.Syntax.GetLocation(),
            $"'{conversion.Operand.Syntax}' becomes a temporary Scalar"));
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var call = (IInvocationOperation)context.Operation;
        var method = call.TargetMethod;
        if (method.Name == "ToScalar" && IsNamed(method.ReturnType, ScalarType) && !IsKept(call))
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), $"'{call.Syntax}' is a temporary Scalar"));
            return;
        }

        if (ForwardsDefaultScalar(method))
            context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(),
                $"'{method.Name}' passes a temporary Scalar for its omitted last argument (alpha or value = 1)"));
    }

    /// <summary>
    /// A TorchSharp method with an overload that takes the same arguments and one Scalar more
    /// (<c>add(t)</c> and <c>add(t, alpha)</c>, <c>addcdiv(a, b)</c> and <c>addcdiv(a, b, value)</c>):
    /// it forwards a temporary 1. <c>sub(t)</c> has no such overload; libtorch defaults its alpha.
    /// </summary>
    private static bool ForwardsDefaultScalar(IMethodSymbol method)
    {
        var owner = method.ContainingType;
        if (!IsNamed(owner, TensorType) && !IsNamed(owner, TorchType)) return false;
        foreach (var member in owner.GetMembers(method.Name))
        {
            if (member is not IMethodSymbol overload || overload.Parameters.Length != method.Parameters.Length + 1) continue;
            if (!IsNamed(overload.Parameters[method.Parameters.Length].Type, ScalarType)) continue;
            var same = true;
            for (var p = 0; p < method.Parameters.Length && same; p++)
                same = SymbolEqualityComparer.Default.Equals(method.Parameters[p].Type, overload.Parameters[p].Type);
            if (same) return true;
        }
        return false;
    }

    private static void AnalyzeBinary(OperationAnalysisContext context)
    {
        var (method, kind) = context.Operation switch
        {
            IBinaryOperation b => (b.OperatorMethod, b.OperatorKind),
            ICompoundAssignmentOperation c => (c.OperatorMethod, c.OperatorKind),
            _ => (null, BinaryOperatorKind.None),
        };
        // Tensor + tensor goes through add(other) and its alpha = 1; an operator with a number
        // operand (t * 2.0) turns the number into a Scalar inside TorchSharp.
        if (method is null || !IsNamed(method.ContainingType, TensorType)) return;
        var number = !IsNamed(method.Parameters[0].Type, TensorType) || !IsNamed(method.Parameters[1].Type, TensorType);
        if (!number && kind != BinaryOperatorKind.Add) return;
        context.ReportDiagnostic(Diagnostic.Create(Rule, context.Operation.Syntax.GetLocation(),
            number ? "a tensor operator with a number operand makes a temporary Scalar" : "tensor '+' makes a temporary alpha = 1"));
    }

    /// <summary>A Scalar stored in a field, or in a local that a using statement keeps alive.</summary>
    private static bool IsKept(IOperation scalar)
    {
        var parent = scalar.Parent;
        if (parent is IFieldInitializerOperation or IPropertyInitializerOperation) return true;
        if (parent is ISimpleAssignmentOperation { Target: IFieldReferenceOperation or IPropertyReferenceOperation }) return true;
        if (parent is not IVariableInitializerOperation) return false;
        for (var node = parent.Parent; node is not null; node = node.Parent)
        {
            if (node is IUsingDeclarationOperation or IUsingOperation) return true;
            if (node is IBlockOperation) return false;
        }
        return false;
    }

    private static bool IsNamed(ITypeSymbol? type, string name) =>
        type is not null && type.ToDisplayString() == name;
}
