namespace DistributedAttention.Core.Runtime;

/// <summary>TorchSharp's native libraries cannot load on this host; the message says why and what to do.</summary>
public sealed class TorchUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchUnavailableException(string message, Exception inner) : base(message, inner)
    {
    }
}
