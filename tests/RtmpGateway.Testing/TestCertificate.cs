using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>A self-signed server certificate for 127.0.0.1 and localhost, written as an operator would give it.</summary>
public sealed class TestCertificate : IDisposable
{
    private TestCertificate(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public string CertificatePem => Path.Combine(Directory, "cert.pem");

    public string KeyPem => Path.Combine(Directory, "key.pem");

    public string Pfx => Path.Combine(Directory, "cert.pfx");

    /// <summary>The certificate's SHA-1 thumbprint, for a client that trusts exactly this certificate.</summary>
    public string Thumbprint { get; private set; } = "";

    /// <summary>Writes cert.pem, key.pem and cert.pfx (with <paramref name="pfxPassword"/>) into a new temporary directory.</summary>
    public static TestCertificate Create(string pfxPassword = "pfx-password")
    {
        string directory = Path.Combine(Path.GetTempPath(), "rtmpgw-cert-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var result = new TestCertificate(directory) { Thumbprint = certificate.Thumbprint };
        File.WriteAllText(result.CertificatePem, certificate.ExportCertificatePem());
        File.WriteAllText(result.KeyPem, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllBytes(result.Pfx, certificate.Export(X509ContentType.Pfx, pfxPassword));
        return result;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
