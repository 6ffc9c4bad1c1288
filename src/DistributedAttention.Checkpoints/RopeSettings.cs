namespace DistributedAttention.Checkpoints;

/// <summary>How rotary frequencies are rescaled (config.json's <c>rope_scaling.rope_type</c>).</summary>
public enum RopeScalingKind
{
    /// <summary>None: θ^(−2k/d).</summary>
    Default,

    /// <summary><c>linear</c>: every frequency divided by the factor (position interpolation).</summary>
    Linear,

    /// <summary><c>llama3</c>: long wavelengths divided by the factor, short ones kept, smooth in between.</summary>
    Llama3,
}

/// <summary>A layer's rotary embedding: base θ and scaling.</summary>
/// <param name="Theta">The base (<c>rope_theta</c>, or Gemma 3's <c>rope_local_base_freq</c> on sliding layers).</param>
/// <param name="Scaling">The rescaling kind.</param>
/// <param name="Factor">The scaling factor (1 without scaling).</param>
/// <param name="LowFreqFactor">llama3: <c>low_freq_factor</c>.</param>
/// <param name="HighFreqFactor">llama3: <c>high_freq_factor</c>.</param>
/// <param name="OriginalMaxPositions">llama3: <c>original_max_position_embeddings</c>.</param>
public sealed record RopeSettings(double Theta, RopeScalingKind Scaling = RopeScalingKind.Default, double Factor = 1,
    double LowFreqFactor = 1, double HighFreqFactor = 4, double OriginalMaxPositions = 8192)
{
    /// <summary>
    /// The inverse frequencies of a head of <paramref name="headDim"/> (even), in float64, as the
    /// family's published definition computes them: θ^(−2k/d), then the scaling.
    /// </summary>
    public double[] InverseFrequencies(int headDim)
    {
        var frequencies = new double[headDim / 2];
        for (var k = 0; k < frequencies.Length; k++) frequencies[k] = Math.Pow(Theta, -2.0 * k / headDim);
        switch (Scaling)
        {
            case RopeScalingKind.Linear:
                for (var k = 0; k < frequencies.Length; k++) frequencies[k] /= Factor;
                break;
            case RopeScalingKind.Llama3:
                var lowWavelength = OriginalMaxPositions / LowFreqFactor;
                var highWavelength = OriginalMaxPositions / HighFreqFactor;
                for (var k = 0; k < frequencies.Length; k++)
                {
                    var wavelength = 2 * Math.PI / frequencies[k];
                    if (wavelength > lowWavelength)
                    {
                        frequencies[k] /= Factor;
                    }
                    else if (wavelength >= highWavelength)
                    {
                        // Between the two: interpolate between the scaled and the kept frequency.
                        var smooth = (OriginalMaxPositions / wavelength - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
                        frequencies[k] = (1 - smooth) * frequencies[k] / Factor + smooth * frequencies[k];
                    }
                }
                break;
        }
        return frequencies;
    }
}
