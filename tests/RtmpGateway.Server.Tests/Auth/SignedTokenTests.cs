using System.Globalization;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.Server.Tests.Auth;

/// <summary>
/// Signed publish and play tokens (README, "Publish and playback auth"): "?expires=UNIX&amp;token=T" with
/// T = base64url(HMAC-SHA256(secret, "publish:live/main:UNIX")). Tokens here are made by the operator's
/// recipe (OpenSSL, or HMAC from System.Security.Cryptography), never by SignedToken itself.
/// </summary>
public sealed class SignedTokenTests
{
    private const string Secret = "test-secret-0123456789abcdef";
    private const long Expires = 1_767_225_600; // 2026-01-01T00:00:00Z
    private static readonly string ExpiresText = Expires.ToString(CultureInfo.InvariantCulture);
    private static readonly DateTimeOffset Before = DateTimeOffset.FromUnixTimeSeconds(Expires - 60);

    // The README's shell recipe, run with OpenSSL 3.0.19:
    // printf 'publish:live/main:1767225600' | openssl dgst -sha256 -hmac "$SECRET" -binary | basenc --base64url | tr -d =
    private const string OpenSslPublishToken = "AAcHYp99QLne-io7ketByVGq_9m5ZFLIyYHV9n7yO80";

    // printf 'play:live/main:1767225600' | openssl dgst -sha256 -hmac "$SECRET" -binary | basenc --base64url | tr -d =
    private const string OpenSslPlayToken = "LtxOH3ku4ji_x1Rjp5YglS9n4F-zTR4HGyTqzQgGlcY";

    private static TokenCheck Check(string action, string name, string? token, string? expires, DateTimeOffset now, string secret = Secret)
        => SignedToken.Check(secret, action, "live", name, token, expires, now);

    [Fact]
    public void OperatorToken_ReadmeRecipe_MatchesOpenSsl()
    {
        // Pins the test's own token maker to the real tool, so the cases below test against the documented recipe.
        Assert.Equal(OpenSslPublishToken, OperatorToken.Make(Secret, "publish", "live", "main", Expires));
        Assert.Equal(OpenSslPlayToken, OperatorToken.Make(Secret, "play", "live", "main", Expires));
    }

    [Fact]
    public void Check_OpenSslPublishTokenBeforeExpiry_Valid()
        => Assert.Equal(TokenCheck.Valid, Check(SignedToken.Publish, "main", OpenSslPublishToken, ExpiresText, Before));

    [Fact]
    public void Check_OpenSslPlayTokenBeforeExpiry_Valid()
        => Assert.Equal(TokenCheck.Valid, Check(SignedToken.Play, "main", OpenSslPlayToken, ExpiresText, Before));

    [Fact]
    public void Check_AfterExpiry_Expired()
    {
        DateTimeOffset after = DateTimeOffset.FromUnixTimeSeconds(Expires + 1);
        Assert.Equal(TokenCheck.Expired, Check(SignedToken.Publish, "main", OpenSslPublishToken, ExpiresText, after));
        Assert.Equal(TokenCheck.Expired, Check(SignedToken.Publish, "main", OpenSslPublishToken, ExpiresText, after.AddDays(365)));
    }

    [Fact]
    public void Check_WrongSecret_Invalid()
        => Assert.Equal(TokenCheck.Invalid, Check(SignedToken.Publish, "main", OpenSslPublishToken, ExpiresText, Before, secret: "another-secret-0123456789"));

    [Fact]
    public void Check_WrongSecretAfterExpiry_InvalidNotExpired()
    {
        // A forged token learns nothing, not even whether its expiry has passed.
        DateTimeOffset after = DateTimeOffset.FromUnixTimeSeconds(Expires + 1);
        Assert.Equal(TokenCheck.Invalid, Check(SignedToken.Publish, "main", OpenSslPublishToken, ExpiresText, after, secret: "another-secret-0123456789"));
    }

    [Fact]
    public void Check_PublishTokenForPlay_Invalid()
    {
        Assert.Equal(TokenCheck.Invalid, Check(SignedToken.Play, "main", OpenSslPublishToken, ExpiresText, Before));
        Assert.Equal(TokenCheck.Invalid, Check(SignedToken.Publish, "main", OpenSslPlayToken, ExpiresText, Before));
    }

    [Fact]
    public void Check_TokenForAnotherStreamOrApp_Invalid()
    {
        Assert.Equal(TokenCheck.Invalid, Check(SignedToken.Publish, "other", OpenSslPublishToken, ExpiresText, Before));
        Assert.Equal(TokenCheck.Invalid, SignedToken.Check(Secret, SignedToken.Publish, "vod", "main", OpenSslPublishToken, ExpiresText, Before));
    }

    [Fact]
    public void Check_ExpiresChangedAfterSigning_Invalid()
    {
        string later = (Expires + 3600).ToString(CultureInfo.InvariantCulture);
        Assert.Equal(TokenCheck.Invalid, Check(SignedToken.Publish, "main", OpenSslPublishToken, later, Before));
        Assert.Equal(TokenCheck.Invalid, Check(SignedToken.Publish, "main", OpenSslPublishToken, "0" + ExpiresText, Before));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(21)]
    [InlineData(41)]
    public void Check_OneCharacterTampered_Invalid(int index)
    {
        // The last character carries 2 bits that are not part of the 32 bytes, so it is left out.
        char[] chars = OpenSslPublishToken.ToCharArray();
        chars[index] = chars[index] == 'A' ? 'B' : 'A';
        Assert.Equal(TokenCheck.Invalid, Check(SignedToken.Publish, "main", new string(chars), ExpiresText, Before));
    }

    [Theory]
    [InlineData("AAcHYp99QLne-io7ketByVGq_9m5ZFLIyYHV9n7yO8")]       // one character short
    [InlineData("AAcHYp99QLne-io7ketByVGq_9m5ZFLIyYHV9n7yO80AAAA")]  // 35 bytes
    [InlineData("AAcHYp99QLne+io7ketByVGq/9m5ZFLIyYHV9n7yO80")]      // a character outside base64url
    [InlineData("AAcHYp99QLne io7ketByVGq_9m5ZFLIyYHV9n7yO80")]      // '+' as a query string delivers it
    [InlineData("not a token")]
    [InlineData("%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%")]
    [InlineData("AAcHYp99QLne-io7ketByVGq_9m5ZFLIyYHV9n7yO80AAcHYp99QLne-io7ketByVGq_9m5ZFLIyYHV9n7yO80")]
    public void Check_MalformedToken_InvalidWithoutThrowing(string token)
        => Assert.Equal(TokenCheck.Invalid, Check(SignedToken.Publish, "main", token, ExpiresText, Before));

    [Theory]
    [InlineData("soon")]
    [InlineData("-1")]
    [InlineData("+1767225600")]
    [InlineData(" 1767225600")]
    [InlineData("99999999999999999999")]
    public void Check_ExpiresNotUnixSeconds_Invalid(string expires)
        => Assert.Equal(TokenCheck.Invalid, Check(SignedToken.Publish, "main", OpenSslPublishToken, expires, Before));

    [Theory]
    [InlineData(null, "1767225600")]
    [InlineData("", "1767225600")]
    [InlineData(OpenSslPublishToken, null)]
    [InlineData(OpenSslPublishToken, "")]
    [InlineData(null, null)]
    public void Check_TokenOrExpiresMissing_Missing(string? token, string? expires)
        => Assert.Equal(TokenCheck.Missing, Check(SignedToken.Publish, "main", token, expires, Before));

    [Fact]
    public void Create_ReadmeRecipe_MatchesOpenSsl()
        => Assert.Equal(OpenSslPublishToken, SignedToken.Create(Secret, SignedToken.Publish, "live", "main", Expires));
}
