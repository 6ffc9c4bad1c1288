using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace DistributedAttention.Hosting;

/// <summary>Loads <see cref="ClusterTlsOptions"/> into Orleans' <see cref="TlsOptions"/>: mutual TLS against the cluster's own authority.</summary>
public static class ClusterTls
{
    /// <summary>Names every problem with <paramref name="options"/> (files that are missing or unreadable).</summary>
    public static void Check(List<string> problems, ClusterTlsOptions? options, string prefix)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (options is null || (!options.Enabled && options.AuthorityPath is null && options.KeyPath is null)) return;
        if (!options.Enabled)
        {
            problems.Add($"{prefix}CertificatePath is required when {prefix}AuthorityPath or {prefix}KeyPath is set.");
            return;
        }
        if (options.AuthorityPath is null) problems.Add($"{prefix}AuthorityPath is required with TLS: peers are trusted when their certificate chains to it.");
        try
        {
            using var certificate = LoadCertificate(options);
            if (!certificate.HasPrivateKey) problems.Add($"{prefix}CertificatePath '{options.CertificatePath}' holds no private key; give it in the file or in {prefix}KeyPath.");
            if (options.AuthorityPath is not null) LoadAuthority(options.AuthorityPath).Dispose();
        }
        catch (Exception e) when (e is IOException or CryptographicException or ArgumentException or UnauthorizedAccessException)
        {
            problems.Add($"{prefix.TrimEnd(':')}: {e.Message}");
        }
    }

    /// <summary>Mutual TLS with this node's certificate, accepting only peers signed by the authority.</summary>
    /// <exception cref="CryptographicException">A file cannot be read as a certificate or key.</exception>
    public static void Configure(TlsOptions tls, ClusterTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(options);
        var authority = LoadAuthority(options.AuthorityPath!);
        tls.LocalCertificate = LoadCertificate(options);
        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.RemoteCertificateValidation = (certificate, _, _) => ChainsTo(certificate, authority);
    }

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="authority"/> (and to nothing else: the system's roots are not trusted here).</summary>
    public static bool ChainsTo(X509Certificate2? certificate, X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        if (certificate is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static X509Certificate2 LoadCertificate(ClusterTlsOptions options)
    {
        var path = options.CertificatePath!;
        if (!File.Exists(path)) throw new IOException($"the certificate file '{path}' does not exist.");
        if (path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
            return X509CertificateLoader.LoadPkcs12FromFile(path, options.Password);
        if (options.KeyPath is { } key && !File.Exists(key)) throw new IOException($"the key file '{key}' does not exist.");
        using var pem = X509Certificate2.CreateFromPemFile(path, options.KeyPath);
        // A PEM key is ephemeral; TLS servers need one they can use for every handshake.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static X509Certificate2 LoadAuthority(string path) =>
        File.Exists(path) ? X509CertificateLoader.LoadCertificateFromFile(path) : throw new IOException($"the authority certificate '{path}' does not exist.");
}
