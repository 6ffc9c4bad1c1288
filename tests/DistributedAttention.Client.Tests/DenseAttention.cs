namespace DistributedAttention.Client.Tests;

/// <summary>Exact attention written out in plain loops (double precision), so this project needs no tensor library to check a result.</summary>
internal static class DenseAttention
{
    /// <summary>o = softmax(q·kᵀ/√d)·v and lse per row, over all keys; (batch, heads, n, d) row-major.</summary>
    public static (double[] O, double[] Lse) Full(HostTensor q, HostTensor k, HostTensor v)
    {
        var (bh, n, d, dv) = (q.Shape[0] * q.Shape[1], q.Shape[2], q.Shape[3], v.Shape[3]);
        var o = new double[bh * n * dv];
        var lse = new double[bh * n];
        var scores = new double[n];
        for (long b = 0; b < bh; b++)
        {
            for (long i = 0; i < n; i++)
            {
                // similarity
                var max = double.NegativeInfinity;
                for (long j = 0; j < n; j++)
                {
                    double s = 0;
                    for (long c = 0; c < d; c++) s += q.Data[(b * n + i) * d + c] * (double)k.Data[(b * n + j) * d + c];
                    scores[j] = s / Math.Sqrt(d);
                    max = Math.Max(max, scores[j]);
                }
                // attend
                double sum = 0;
                for (long j = 0; j < n; j++) sum += Math.Exp(scores[j] - max);
                lse[b * n + i] = max + Math.Log(sum);
                // aggregate
                for (long j = 0; j < n; j++)
                {
                    var p = Math.Exp(scores[j] - lse[b * n + i]);
                    for (long c = 0; c < dv; c++) o[(b * n + i) * dv + c] += p * v.Data[(b * n + j) * dv + c];
                }
            }
        }
        return (o, lse);
    }
}
