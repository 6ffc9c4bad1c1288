namespace DistributedAttention.Hosting;

/// <summary>
/// Mutual TLS for a cluster's connections (silo to silo, client to gateway): every silo and every
/// client presents a certificate signed by the cluster's certificate authority, and accepts only
/// peers whose certificate chains to that authority (host names are not checked: silos are
/// addressed by IP). Bound to <c>…:Tls</c> (e.g. <c>DistributedAttention__Silo__Tls__CertificatePath</c>).
/// </summary>
public sealed class ClusterTlsOptions
{
    /// <summary>This node's certificate: a PEM file (with <see cref="KeyPath"/>, or with the key inside) or a PKCS#12 file (.pfx, .p12). Null: no TLS.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="CertificatePath"/> when it is not in the same file.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The password of a PKCS#12 <see cref="CertificatePath"/>, if it has one.</summary>
    public string? Password { get; set; }

    /// <summary>The PEM certificate of the authority every peer's certificate must chain to.</summary>
    public string? AuthorityPath { get; set; }

    /// <summary>Whether TLS is on.</summary>
    public bool Enabled => CertificatePath is not null;
}
