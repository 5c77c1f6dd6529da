using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace RtmpGateway.Server.Auth;

/// <summary>What a signed token said about a request.</summary>
internal enum TokenCheck
{
    Missing,
    Invalid,
    Expired,
    Valid,
}

/// <summary>
/// HMAC-SHA256 tokens that grant one action on one stream until a time:
/// base64url(HMAC-SHA256(secret, "{action}:{app}/{name}:{expires}")), expires in Unix seconds.
/// Operators make them with any HMAC tool, e.g.
/// <c>printf 'publish:live/demo:1767225600' | openssl dgst -sha256 -hmac "$SECRET" -binary | basenc --base64url | tr -d =</c>.
/// </summary>
internal static class SignedToken
{
    public const string Publish = "publish";
    public const string Play = "play";

    public static string Create(string secret, string action, string app, string name, long expires)
        => Base64Url.EncodeToString(Mac(secret, action, app, name, expires.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Checks "token" and "expires" against the stream; the comparison takes the same time whatever the token.</summary>
    public static TokenCheck Check(string secret, string action, string app, string name, string? token, string? expires, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(token) || string.IsNullOrEmpty(expires))
        {
            return TokenCheck.Missing;
        }

        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out long expiresAt) || token.Length > 64)
        {
            return TokenCheck.Invalid;
        }

        // Base64Url.TryDecodeFromChars returns false only for a short destination: a character
        // outside base64url or a bad length throws FormatException. Check first.
        Span<byte> given = stackalloc byte[48];
        if (!Base64Url.IsValid(token, out int decodedLength) || decodedLength != 32
            || !Base64Url.TryDecodeFromChars(token, given, out int length) || length != 32)
        {
            return TokenCheck.Invalid;
        }

        byte[] expected = Mac(secret, action, app, name, expires);
        if (!CryptographicOperations.FixedTimeEquals(expected, given[..length]))
        {
            return TokenCheck.Invalid;
        }

        return now.ToUnixTimeSeconds() > expiresAt ? TokenCheck.Expired : TokenCheck.Valid;
    }

    private static byte[] Mac(string secret, string action, string app, string name, string expires)
        => HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{action}:{app}/{name}:{expires}"));
}
