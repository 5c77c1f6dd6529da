using System.ComponentModel.DataAnnotations;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RtmpGateway.Server.Rtmp;

/// <summary>
/// RTMPS: RTMP inside TLS on its own port (configuration section "Rtmps"), off unless a port is set.
/// The sessions, auth, limits and timeouts are RTMP's (section "Rtmp"); the TLS handshake counts
/// against Rtmp:HandshakeTimeout.
/// </summary>
public sealed class RtmpsOptions
{
    public const string SectionName = "Rtmps";

    /// <summary>TCP port; unset = no RTMPS listener. 443 is what the big platforms use; 0 picks a free port and logs it.</summary>
    [Range(0, 65535)]
    public int? Port { get; set; }

    /// <summary>Address to bind; Rtmp:BindAddress when unset.</summary>
    public string? BindAddress { get; set; }

    /// <summary>The server certificate, as Kestrel reads one.</summary>
    public CertificateOptions Certificate { get; set; } = new();

    /// <summary>The certificate files: PEM (<see cref="Path"/> and <see cref="KeyPath"/>) or PFX (<see cref="Path"/> and <see cref="Password"/>).</summary>
    public sealed class CertificateOptions
    {
        /// <summary>The certificate: a PEM file (with <see cref="KeyPath"/>), or a PFX/PKCS#12 file.</summary>
        public string? Path { get; set; }

        /// <summary>The private key's PEM file, for a PEM certificate.</summary>
        public string? KeyPath { get; set; }

        /// <summary>The PFX's password, or the PEM key's if it is encrypted.</summary>
        public string? Password { get; set; }
    }

    /// <summary>
    /// Loads the certificate into the TLS server settings. Throws <see cref="InvalidOperationException"/>
    /// with a message naming what is wrong (never the password).
    /// </summary>
    public SslServerAuthenticationOptions LoadTlsOptions()
    {
        string path = Certificate.Path is { Length: > 0 } p
            ? p
            : throw new InvalidOperationException("Rtmps:Port is set but Rtmps:Certificate:Path is not: RTMPS needs a certificate (PEM with Rtmps:Certificate:KeyPath, or PFX with Rtmps:Certificate:Password)");
        X509Certificate2 certificate;
        try
        {
            if (Certificate.KeyPath is { Length: > 0 } keyPath)
            {
                certificate = Certificate.Password is { Length: > 0 } password
                    ? X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath)
                    : X509Certificate2.CreateFromPemFile(path, keyPath);
            }
            else
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, Certificate.Password);
            }
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidOperationException($"Rtmps:Certificate: cannot load {path}: {ex.Message}", ex);
        }

        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"Rtmps:Certificate: {path} has no private key (give Rtmps:Certificate:KeyPath for a PEM certificate)");
        }

        return new SslServerAuthenticationOptions
        {
            // Built once: the chain and the OCSP staple are not worked out again per connection.
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true),
            ClientCertificateRequired = false,
        };
    }
}
