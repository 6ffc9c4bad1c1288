using DistributedAttention.Core.Runtime;
using DistributedAttention.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Training;

/// <summary>
/// Next-token cross-entropy through the head tied to the embedding, computed a few rows at a time
/// with the head's gradient written by hand, so the (tokens × vocabulary) logits never exist whole.
/// </summary>
/// <remarks>
/// With GPT-2's 50,257 ids the head is nearly all of a small model's work, and autograd would keep
/// the whole logits tensor and its softmax (411 MB each for 2,048 tokens at fp32), freshly
/// allocated every step: most of a step went to page faults. Per block of rows, the gradient of the
/// mean loss with respect to the logits is <c>(softmax − onehot(target)) / N</c>; from it come the
/// hidden states' gradient (<c>· W</c>, sent back through the model by autograd) and the head's
/// share of the tied weight's gradient (<c>ᵀ · h</c>, added to what the embedding lookup gives).
/// <c>LanguageModelLossTests</c> checks both against plain autograd.
/// </remarks>
public static class LanguageModelLoss
{
    /// <summary>Rows of logits per block: 64 × 50,257 fp32 is 12.9 MB, small enough for the allocator to reuse.</summary>
    public const int RowsPerBlock = 64;

    /// <summary>
    /// Runs the model on <paramref name="inputs"/>, and accumulates into every parameter's
    /// <c>grad</c> the gradient of the mean next-token loss; the model must record gradients.
    /// </summary>
    /// <param name="model">The model, with <see cref="TransformerModel.RequireGradients"/> on.</param>
    /// <param name="inputs">(batch, L) int64 token ids.</param>
    /// <param name="targets">(batch, L) int64 ids of the token after each input.</param>
    /// <returns>The mean loss in nats.</returns>
    public static double Backward(TransformerModel model, Tensor inputs, Tensor targets)
    {
        Check(model, inputs, targets);
        using var scope = NewDisposeScope();
        var hidden = model.forward(inputs);
        if (!hidden.requires_grad) throw new InvalidOperationException("the model records no gradients; call RequireGradients() first.");
        var weight = model.TiedHeadWeight;
        var flat = hidden.detach().reshape(-1, hidden.shape[^1]);
        var flatTargets = targets.reshape(-1).to(hidden.device);
        var count = flat.shape[0];
        var hiddenGrad = zeros_like(flat);
        var headGrad = zeros_like(weight);
        var sum = 0.0;
        using var minusOne = (-1.0).ToScalar();
        using var tokens = ((double)count).ToScalar();
        using (no_grad())
        {
            for (long start = 0; start < count; start += RowsPerBlock)
            {
                using var block = NewDisposeScope();
                var rows = Math.Min(RowsPerBlock, count - start);
                var h = flat.narrow(0, start, rows);
                var target = flatTargets.narrow(0, start, rows).unsqueeze(1);
                var logits = h.matmul(weight.t());
                var lse = logits.logsumexp(1, keepdim: true);
                sum += lse.sum().item<float>() - logits.gather(1, target).sum().item<float>();
                // logits become dL/dlogits = (softmax − onehot) / N, in place.
                logits.sub_(lse).exp_();
                logits.scatter_add_(1, target, full_like(target, minusOne, dtype: logits.dtype));
                logits.div_(tokens);
                hiddenGrad.narrow(0, start, rows).copy_(logits.matmul(weight));
                headGrad.addmm_(logits.t(), h);
            }
        }
        hidden.backward([hiddenGrad.reshape(hidden.shape)]);
        using (no_grad())
        {
            if (weight.grad is { } grad) grad.add_(headGrad, KeptScalars.One);
            else weight.grad = headGrad.MoveToOuterDisposeScope();
        }
        return sum / count;
    }

    /// <summary>Summed next-token loss in nats, without recording gradients.</summary>
    /// <param name="model">The model.</param>
    /// <param name="inputs">(batch, L) int64 token ids.</param>
    /// <param name="targets">(batch, L) int64 ids of the token after each input.</param>
    public static double Sum(TransformerModel model, Tensor inputs, Tensor targets)
    {
        Check(model, inputs, targets);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var hidden = model.forward(inputs);
        var flat = hidden.reshape(-1, hidden.shape[^1]);
        var flatTargets = targets.reshape(-1).to(hidden.device);
        var weight = model.TiedHeadWeight;
        var sum = 0.0;
        for (long start = 0; start < flat.shape[0]; start += RowsPerBlock)
        {
            using var block = NewDisposeScope();
            var rows = Math.Min(RowsPerBlock, flat.shape[0] - start);
            var logits = flat.narrow(0, start, rows).matmul(weight.t());
            var target = flatTargets.narrow(0, start, rows).unsqueeze(1);
            sum += logits.logsumexp(1).sum().item<float>() - logits.gather(1, target).sum().item<float>();
        }
        return sum;
    }

    /// <summary>Each row's next-token loss in nats, through the tied head, without recording gradients.</summary>
    /// <param name="headWeight">(VocabSize, d) the tied head's weight (<see cref="TransformerModel.TiedHeadWeight"/>).</param>
    /// <param name="hidden">(m, d) final hidden states.</param>
    /// <param name="targets">(m) int64 ids of the token each row predicts.</param>
    /// <returns>(m) float32 losses. The caller disposes it.</returns>
    public static Tensor TokenLosses(Tensor headWeight, Tensor hidden, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(headWeight);
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(targets);
        if (hidden.dim() != 2 || targets.dim() != 1 || hidden.shape[0] != targets.shape[0] || hidden.shape[1] != headWeight.shape[1])
        {
            throw new ArgumentException($"hidden [{string.Join(", ", hidden.shape)}] and targets [{string.Join(", ", targets.shape)}] do not fit a head of [{string.Join(", ", headWeight.shape)}].");
        }
        using var noGrad = no_grad();
        var losses = empty(hidden.shape[0], dtype: ScalarType.Float32, device: hidden.device);
        for (long start = 0; start < hidden.shape[0]; start += RowsPerBlock)
        {
            using var block = NewDisposeScope();
            var rows = Math.Min(RowsPerBlock, hidden.shape[0] - start);
            var logits = hidden.narrow(0, start, rows).matmul(headWeight.t());
            var target = targets.narrow(0, start, rows).unsqueeze(1);
            losses.narrow(0, start, rows).copy_(logits.logsumexp(1).sub_(logits.gather(1, target).squeeze(1)));
        }
        return losses;
    }

    private static void Check(TransformerModel model, Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (!inputs.shape.SequenceEqual(targets.shape))
        {
            throw new ArgumentException($"inputs [{string.Join(", ", inputs.shape)}] and targets [{string.Join(", ", targets.shape)}] differ in shape.", nameof(targets));
        }
        if (inputs.numel() == 0) throw new ArgumentException("no tokens to score.", nameof(inputs));
    }
}
