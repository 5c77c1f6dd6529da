using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RtmpGateway.EndToEnd.Tests.Infrastructure;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>HTTP/2 next to HTTP/1.1 on a TLS endpoint, negotiated with ALPN as browsers do.</summary>
[Trait("Category", "E2E")]
public sealed class Http2Tests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rtmpgw-tls-").FullName;
    private GatewayInstance _gateway = null!;
    private string _thumbprint = "";

    public async Task InitializeAsync()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        _thumbprint = cert.Thumbprint;
        string pfx = Path.Combine(_dir, "gateway.pfx");
        await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pfx, "test"));
        _gateway = await GatewayInstance.StartAsync(
            "--urls", "https://127.0.0.1:0",
            "--Kestrel:Certificates:Default:Path", pfx,
            "--Kestrel:Certificates:Default:Password", "test");
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public async Task Https_ClientAsksForVersion_GetsThatVersion(int major)
    {
        using var handler = new SocketsHttpHandler();
        // Trust exactly the certificate this test made.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && string.Equals(new X509Certificate2(certificate).Thumbprint, _thumbprint, StringComparison.Ordinal);
        using var http = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.HttpBase, "/health"))
        {
            Version = new Version(major, 0),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using HttpResponseMessage response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(major, response.Version.Major);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }
}
