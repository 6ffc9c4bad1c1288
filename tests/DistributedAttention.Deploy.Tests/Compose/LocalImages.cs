namespace DistributedAttention.Deploy.Tests.Compose;

/// <summary>Images the tests need that no registry can give them here: made locally by eng/docker-images.sh --test-images.</summary>
internal static class LocalImages
{
    /// <summary>Redis from Debian's package on the local base (stands in for the official redis:7).</summary>
    public const string Redis = "distattn-base/redis:local";
}
