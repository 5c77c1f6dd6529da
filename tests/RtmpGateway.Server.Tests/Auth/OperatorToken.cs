using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RtmpGateway.Server.Tests.Auth;

/// <summary>
/// A token made the way the README tells operators to, not with the gateway's SignedToken:
/// T = base64url(HMAC-SHA256(secret, "{action}:{app}/{name}:{expires}")), unpadded.
/// </summary>
internal static class OperatorToken
{
    public static string Make(string secret, string action, string app, string name, long expires)
    {
        byte[] mac = HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{action}:{app}/{name}:{expires}")));

        // RFC 4648 §5: base64url is base64 with '-' for '+' and '_' for '/'; the README's "tr -d =" drops the padding.
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
