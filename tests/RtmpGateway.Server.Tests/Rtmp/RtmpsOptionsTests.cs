using System.Net.Security;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Server.Rtmp;

namespace RtmpGateway.Server.Tests.Rtmp;

/// <summary>The RTMPS certificate is read as Kestrel reads one: PEM pair, encrypted PEM, or PFX with its password.</summary>
public sealed class RtmpsOptionsTests : IDisposable
{
    private readonly TestCertificate _certificate = TestCertificate.Create("pfx-secret-9f1c");

    public void Dispose() => _certificate.Dispose();

    [Fact]
    public void PemPair_Loads_WithItsKey()
    {
        var options = new RtmpsOptions { Port = 0, Certificate = { Path = _certificate.CertificatePem, KeyPath = _certificate.KeyPem } };

        SslServerAuthenticationOptions tls = options.LoadTlsOptions();

        Assert.NotNull(tls.ServerCertificateContext);
        Assert.Equal("CN=localhost", tls.ServerCertificateContext.TargetCertificate.Subject);
        Assert.True(tls.ServerCertificateContext.TargetCertificate.HasPrivateKey);
    }

    [Fact]
    public void Pfx_LoadsWithItsPassword()
    {
        var options = new RtmpsOptions { Port = 0, Certificate = { Path = _certificate.Pfx, Password = "pfx-secret-9f1c" } };

        Assert.True(options.LoadTlsOptions().ServerCertificateContext!.TargetCertificate.HasPrivateKey);
    }

    [Fact]
    public void Pfx_WrongPassword_FailsNamingTheFile_NotThePassword()
    {
        var options = new RtmpsOptions { Port = 0, Certificate = { Path = _certificate.Pfx, Password = "wrong-password-77" } };

        var error = Assert.Throws<InvalidOperationException>(options.LoadTlsOptions);

        Assert.Contains(_certificate.Pfx, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password-77", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pfx-secret-9f1c", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CertificateWithoutKey_IsRefused()
    {
        // A PEM certificate read as if it were a PFX without its key file.
        var options = new RtmpsOptions { Port = 0, Certificate = { Path = _certificate.CertificatePem } };

        var error = Assert.Throws<InvalidOperationException>(options.LoadTlsOptions);

        Assert.StartsWith("Rtmps:Certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoCertificate_SaysWhatIsMissing()
    {
        var error = Assert.Throws<InvalidOperationException>(new RtmpsOptions { Port = 443 }.LoadTlsOptions);

        Assert.Contains("Rtmps:Certificate:Path", error.Message, StringComparison.Ordinal);
    }
}
