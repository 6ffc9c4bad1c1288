using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Attention;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Hosting;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;
using Microsoft.Extensions.Hosting;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Tests;

/// <summary>
/// Mutual TLS with certificates this test makes: silos and a client signed by the cluster's
/// authority run a job equal to one device; a client without a certificate, with one from
/// another authority, or trusting another authority is refused.
/// </summary>
public sealed class TlsClusterTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("distattn-tls-").FullName;

    [Fact]
    public async Task A_cluster_with_mutual_tls_runs_jobs_and_refuses_clients_the_authority_did_not_sign()
    {
        TorchRuntime.EnsureLoaded();
        using var authority = Authority("distattn test authority");
        using var stranger = Authority("some other authority");
        var authorityPath = Pem("authority.pem", authority.ExportCertificatePem());
        var strangerPath = Pem("stranger.pem", stranger.ExportCertificatePem());
        var node = Issue(authority, "silo");
        var client = Issue(authority, "client");
        var rogue = Issue(stranger, "rogue");

        await using var cluster = new LocalCluster(new LocalClusterOptions
        {
            Tls = new ClusterTlsOptions { CertificatePath = node.Certificate, KeyPath = node.Key, AuthorityPath = authorityPath },
        });
        await cluster.StartAsync(2);

        // The cluster's own client (the same authority) runs a job over TLS, equal to one device.
        var spec = new AttentionSpec { Kind = AttentionKind.Window, WindowLeft = 6, WindowRight = 6, GlobalPositions = [0] };
        using var q = randn([1, 2, 200, 8]);
        using var result = await new JobClient(cluster.Client).RunAttentionAsync(spec, q, q, q, new Abstractions.JobOptions(2), null, default);
        using var expected = SingleDeviceAttention.Forward(spec, q, q, q);
        DistributedJobTests.AssertClose(expected.Output, result.Output, "attention over TLS");

        // So does a separate client with its own certificate from the authority.
        await AssertConnectsAsync(cluster, new ClusterTlsOptions { CertificatePath = client.Certificate, KeyPath = client.Key, AuthorityPath = authorityPath });
        // No certificate (plain TCP), another authority's certificate, or trusting another authority: refused.
        await AssertRefusedAsync(cluster, new ClusterTlsOptions());
        await AssertRefusedAsync(cluster, new ClusterTlsOptions { CertificatePath = rogue.Certificate, KeyPath = rogue.Key, AuthorityPath = authorityPath });
        await AssertRefusedAsync(cluster, new ClusterTlsOptions { CertificatePath = client.Certificate, KeyPath = client.Key, AuthorityPath = strangerPath });
    }

    [Fact]
    public void Tls_settings_name_missing_files_and_keys()
    {
        var problems = new List<string>();
        ClusterTls.Check(problems, new ClusterTlsOptions { CertificatePath = Path.Combine(dir, "none.pem"), AuthorityPath = Path.Combine(dir, "ca.pem") }, "Tls:");
        Assert.Contains(problems, p => p.Contains("the certificate file", StringComparison.Ordinal) && p.Contains("none.pem' does not exist", StringComparison.Ordinal));
        problems.Clear();
        ClusterTls.Check(problems, new ClusterTlsOptions { AuthorityPath = "ca.pem" }, "Tls:");
        Assert.Equal(["Tls:CertificatePath is required when Tls:AuthorityPath or Tls:KeyPath is set."], problems);
        problems.Clear();
        using var authority = Authority("a");
        var node = Issue(authority, "n");
        ClusterTls.Check(problems, new ClusterTlsOptions { CertificatePath = node.Certificate }, "Tls:");
        Assert.Contains(problems, p => p.StartsWith("Tls:AuthorityPath is required with TLS", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static async Task AssertConnectsAsync(LocalCluster cluster, ClusterTlsOptions tls)
    {
        using var host = cluster.StartClientHost(o => o.Tls = tls);
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await host.StopAsync();
    }

    private static async Task AssertRefusedAsync(LocalCluster cluster, ClusterTlsOptions tls)
    {
        // One attempt: the handshake fails, and the start fails with it (the same client with good credentials starts, above).
        using var host = cluster.StartClientHost(o => o.Tls = tls, client => client.UseConnectionRetryFilter((_, _) => Task.FromResult(false)));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.IsNotType<TimeoutException>(error);
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private (string Certificate, string Key) Issue(X509Certificate2 authority, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        // Inside the authority's validity: a leaf may not outlive its issuer, and "a day from now"
        // taken a moment after the authority's own is later than its (second-truncated) NotAfter.
        using var certificate = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        return (Pem($"{name}.pem", certificate.ExportCertificatePem()), Pem($"{name}.key", key.ExportPkcs8PrivateKeyPem()));
    }

    private string Pem(string file, string text)
    {
        var path = Path.Combine(dir, file);
        File.WriteAllText(path, text);
        return path;
    }
}
