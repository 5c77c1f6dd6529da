using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.Server.Tests.Auth;

/// <summary>
/// Who may publish and play (README, "Publish and playback auth"): stream keys map to public names,
/// signed tokens, address rules, and the first-run mode (Auth:OpenLoopbackWhenUnconfigured) in which
/// only publishers on this machine may publish. Tokens are made by the operator's recipe on a fake clock.
/// The webhook is in StreamAuthorizerWebhookTests.
/// </summary>
public sealed class StreamAuthorizerTests
{
    private const string Secret = "test-secret-0123456789abcdef";
    private const string Key = "sk-4b1d9e0f7a2c8e63";
    private static readonly IPAddress Remote = IPAddress.Parse("203.0.113.9");
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_767_225_600);

    private readonly FakeTimeProvider _clock = new(Start);

    /// <summary>No webhook configured: the authorizer must never make an HTTP request.</summary>
    private sealed class NoHttp : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => throw new InvalidOperationException("no webhook is configured, yet an HTTP client was asked for");
    }

    private StreamAuthorizer Authorizer(AuthOptions options)
    {
        options.Validate();
        return new StreamAuthorizer(Options.Create(options), new NoHttp(), _clock, NullLogger<StreamAuthorizer>.Instance);
    }

    internal static AuthRequest Request(string name, IPAddress? address, string app = "live", params (string Key, string Value)[] query)
        => new(app, name, [.. query.Select(q => KeyValuePair.Create(q.Key, q.Value))], address, "c1", "FMLE/3.0", $"rtmp://gateway/{app}");

    private static (string Key, string Value)[] TokenQuery(string action, string name, long expires, string secret = Secret, string app = "live")
        => [("expires", expires.ToString(CultureInfo.InvariantCulture)), ("token", OperatorToken.Make(secret, action, app, name, expires))];

    private long InFiveMinutes => _clock.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds();

    private static AuthOptions WithKey(string key = Key, string app = "live", string name = "main")
        => new() { StreamKeys = [new StreamKeyOptions { Key = key, App = app, Name = name }] };

    // --- The first-run mode -------------------------------------------------------------------

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public async Task AuthorizePublish_UnconfiguredFromLoopback_AllowedUnderTheRequestedName(string address)
    {
        AuthDecision decision = await Authorizer(new AuthOptions()).AuthorizePublishAsync(Request("cam", IPAddress.Parse(address)), CancellationToken.None);

        Assert.True(decision.Allowed, decision.Reason);
        Assert.Equal("cam", decision.PublicName);
    }

    [Theory]
    [InlineData("203.0.113.9")]
    [InlineData("::ffff:203.0.113.9")]
    [InlineData("2001:db8::9")]
    [InlineData("10.0.0.1")]
    public async Task AuthorizePublish_UnconfiguredFromAnotherMachine_RefusedSayingAuthSettingsAreNeeded(string address)
    {
        AuthDecision decision = await Authorizer(new AuthOptions()).AuthorizePublishAsync(Request("cam", IPAddress.Parse(address)), CancellationToken.None);

        Assert.False(decision.Allowed);
        Assert.Equal("", decision.PublicName);
        Assert.Contains("needs Auth settings", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthorizePublish_UnconfiguredAndAddressUnknown_Refused()
        => Assert.False((await Authorizer(new AuthOptions()).AuthorizePublishAsync(Request("cam", null), CancellationToken.None)).Allowed);

    [Fact]
    public async Task AuthorizePublish_OpenLoopbackWhenUnconfiguredFalse_LoopbackRefused()
    {
        AuthDecision decision = await Authorizer(new AuthOptions { OpenLoopbackWhenUnconfigured = false })
            .AuthorizePublishAsync(Request("cam", IPAddress.Loopback), CancellationToken.None);

        Assert.False(decision.Allowed);
    }

    [Fact]
    public void OpenLoopbackWhenUnconfigured_Default_True()
        => Assert.True(new AuthOptions().OpenLoopbackWhenUnconfigured);

    [Fact]
    public async Task AuthorizePublish_ShippedAppsettings_IsTheFirstRunMode()
    {
        // The Auth section of the appsettings.json the gateway ships (copied here from the Server's output).
        IConfiguration configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: false)
            .Build();
        AuthOptions shipped = configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? throw new InvalidOperationException("appsettings.json has no Auth section");
        StreamAuthorizer auth = Authorizer(shipped);

        Assert.False(shipped.HasPublishCredentials);
        Assert.True((await auth.AuthorizePublishAsync(Request("cam", IPAddress.Loopback), CancellationToken.None)).Allowed);
        Assert.True((await auth.AuthorizePublishAsync(Request("cam", IPAddress.IPv6Loopback), CancellationToken.None)).Allowed);
        Assert.False((await auth.AuthorizePublishAsync(Request("cam", Remote), CancellationToken.None)).Allowed);
        Assert.False((await auth.AuthorizePublishAsync(Request("cam", IPAddress.Parse("::ffff:203.0.113.9")), CancellationToken.None)).Allowed);
    }

    [Fact]
    public async Task AuthorizePublish_CredentialsConfigured_LoopbackNeedsThemToo()
    {
        // "with none of Auth:StreamKeys, Auth:TokenSecret, Auth:Webhook:Url configured": with one, the first-run mode is over.
        AuthDecision withKey = await Authorizer(WithKey()).AuthorizePublishAsync(Request("cam", IPAddress.Loopback), CancellationToken.None);
        AuthDecision withSecret = await Authorizer(new AuthOptions { TokenSecret = Secret }).AuthorizePublishAsync(Request("cam", IPAddress.Loopback), CancellationToken.None);

        Assert.False(withKey.Allowed);
        Assert.False(withSecret.Allowed);
        Assert.Equal("no valid stream key or token", withKey.Reason);
        Assert.Equal("no valid stream key or token", withSecret.Reason);
    }

    [Fact]
    public async Task AuthorizePublish_DeniedLoopbackAddress_DenyWinsOverTheFirstRunMode()
    {
        AuthDecision decision = await Authorizer(new AuthOptions { Publish = new IpRuleOptions { Deny = ["127.0.0.0/8"] } })
            .AuthorizePublishAsync(Request("cam", IPAddress.Parse("::ffff:127.0.0.1")), CancellationToken.None);

        Assert.False(decision.Allowed);
        Assert.Equal("address denied", decision.Reason);
    }

    // --- Stream keys ----------------------------------------------------------------------------

    [Fact]
    public async Task AuthorizePublish_StreamKey_AllowedUnderThePublicName()
    {
        AuthDecision decision = await Authorizer(WithKey()).AuthorizePublishAsync(Request(Key, Remote), CancellationToken.None);

        Assert.True(decision.Allowed, decision.Reason);
        Assert.Equal("main", decision.PublicName);
        Assert.DoesNotContain(Key, decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthorizePublish_SeveralKeys_EachMapsToItsOwnName()
    {
        const string other = "sk-9999888877776666";
        var options = new AuthOptions
        {
            StreamKeys =
            [
                new StreamKeyOptions { Key = Key, Name = "main" },
                new StreamKeyOptions { Key = other, Name = "backup" },
                new StreamKeyOptions { Key = other, App = "studio", Name = "desk" },
            ],
        };
        StreamAuthorizer auth = Authorizer(options);

        Assert.Equal("main", (await auth.AuthorizePublishAsync(Request(Key, Remote), CancellationToken.None)).PublicName);
        Assert.Equal("backup", (await auth.AuthorizePublishAsync(Request(other, Remote), CancellationToken.None)).PublicName);
        Assert.Equal("desk", (await auth.AuthorizePublishAsync(Request(other, Remote, app: "studio"), CancellationToken.None)).PublicName);
    }

    [Theory]
    [InlineData("sk-0000000000000000", "live")]
    [InlineData("sk-4b1d9e0f7a2c8e6", "live")]     // the key less its last character
    [InlineData("sk-4b1d9e0f7a2c8e634", "live")]   // the key and one more
    [InlineData("SK-4B1D9E0F7A2C8E63", "live")]
    [InlineData("main", "live")]                    // the public name is not a key
    [InlineData("sk-4b1d9e0f7a2c8e63", "other")]   // the key is for app "live"
    public async Task AuthorizePublish_NotTheKeyForThisApp_RefusedWithoutEchoingIt(string name, string app)
    {
        AuthDecision decision = await Authorizer(WithKey()).AuthorizePublishAsync(Request(name, Remote, app), CancellationToken.None);

        Assert.False(decision.Allowed);
        Assert.Equal("no valid stream key or token", decision.Reason);
    }

    [Fact]
    public async Task AuthorizePublish_StreamKeyFromDeniedAddress_AddressRulesComeFirst()
    {
        AuthOptions options = WithKey();
        options = new AuthOptions { StreamKeys = options.StreamKeys, Publish = new IpRuleOptions { Allow = ["10.0.0.0/8"] } };

        AuthDecision decision = await Authorizer(options).AuthorizePublishAsync(Request(Key, Remote), CancellationToken.None);

        Assert.False(decision.Allowed);
        Assert.Equal("address not allowed", decision.Reason);
    }

    // --- Signed publish tokens ------------------------------------------------------------------

    [Fact]
    public async Task AuthorizePublish_ValidToken_AllowedUnderTheRequestedName()
    {
        AuthDecision decision = await Authorizer(new AuthOptions { TokenSecret = Secret })
            .AuthorizePublishAsync(Request("main", Remote, query: TokenQuery("publish", "main", InFiveMinutes)), CancellationToken.None);

        Assert.True(decision.Allowed, decision.Reason);
        Assert.Equal("main", decision.PublicName);
    }

    [Fact]
    public async Task AuthorizePublish_TokenOnceTheClockPassesItsExpiry_TokenExpired()
    {
        StreamAuthorizer auth = Authorizer(new AuthOptions { TokenSecret = Secret });
        AuthRequest request = Request("main", Remote, query: TokenQuery("publish", "main", InFiveMinutes));
        Assert.True((await auth.AuthorizePublishAsync(request, CancellationToken.None)).Allowed);

        _clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        AuthDecision decision = await auth.AuthorizePublishAsync(request, CancellationToken.None);

        Assert.False(decision.Allowed);
        Assert.Equal("token expired", decision.Reason);
    }

    [Fact]
    public async Task AuthorizePublish_TokenFromAnotherSecretActionOrStream_TokenInvalid()
    {
        StreamAuthorizer auth = Authorizer(new AuthOptions { TokenSecret = Secret });
        long expires = InFiveMinutes;
        AuthRequest[] forged =
        [
            Request("main", Remote, query: TokenQuery("publish", "main", expires, secret: "another-secret-0123456789")),
            Request("main", Remote, query: TokenQuery("play", "main", expires)),
            Request("main", Remote, query: TokenQuery("publish", "other", expires)),
            Request("main", Remote, query: TokenQuery("publish", "main", expires, app: "vod")),
            Request("main", Remote, query: [("expires", "1"), ("token", "%%%")]),
        ];

        foreach (AuthRequest request in forged)
        {
            AuthDecision decision = await auth.AuthorizePublishAsync(request, CancellationToken.None);
            Assert.False(decision.Allowed);
            Assert.Equal("token invalid", decision.Reason);
            Assert.DoesNotContain(request.QueryValue("token")!, decision.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AuthorizePublish_NoToken_NoValidStreamKeyOrToken()
    {
        AuthDecision decision = await Authorizer(new AuthOptions { TokenSecret = Secret }).AuthorizePublishAsync(Request("main", Remote), CancellationToken.None);

        Assert.False(decision.Allowed);
        Assert.Equal("no valid stream key or token", decision.Reason);
    }

    // --- Play -----------------------------------------------------------------------------------

    [Fact]
    public async Task AuthorizePlay_Unconfigured_OpenToEveryone()
    {
        StreamAuthorizer auth = Authorizer(new AuthOptions());

        Assert.True((await auth.AuthorizePlayAsync(Request("main", Remote), CancellationToken.None)).Allowed);
        Assert.True((await auth.AuthorizePlayAsync(Request("main", null), CancellationToken.None)).Allowed);
    }

    [Fact]
    public async Task AuthorizePlay_PlayRules_ApartFromPublishRules()
    {
        StreamAuthorizer auth = Authorizer(new AuthOptions { Play = new IpRuleOptions { Deny = ["203.0.113.0/24"] } });

        AuthDecision play = await auth.AuthorizePlayAsync(Request("main", Remote), CancellationToken.None);
        Assert.False(play.Allowed);
        Assert.Equal("address denied", play.Reason);
        Assert.True((await auth.AuthorizePlayAsync(Request("main", IPAddress.Parse("198.51.100.1")), CancellationToken.None)).Allowed);
        Assert.True((await auth.AuthorizePublishAsync(Request("main", IPAddress.Loopback), CancellationToken.None)).Allowed);
    }

    [Fact]
    public async Task AuthorizePlay_AppNeedsPlaybackToken_OnlyAValidPlayTokenPlays()
    {
        StreamAuthorizer auth = Authorizer(new AuthOptions { TokenSecret = Secret, PlaybackTokenApps = ["live"] });
        long expires = InFiveMinutes;

        AuthDecision valid = await auth.AuthorizePlayAsync(Request("main", Remote, query: TokenQuery("play", "main", expires)), CancellationToken.None);
        AuthDecision none = await auth.AuthorizePlayAsync(Request("main", Remote), CancellationToken.None);
        AuthDecision publishToken = await auth.AuthorizePlayAsync(Request("main", Remote, query: TokenQuery("publish", "main", expires)), CancellationToken.None);
        AuthDecision otherApp = await auth.AuthorizePlayAsync(Request("main", Remote, app: "vod"), CancellationToken.None);

        Assert.True(valid.Allowed, valid.Reason);
        Assert.False(none.Allowed);
        Assert.Equal("playback token missing or invalid", none.Reason);
        Assert.False(publishToken.Allowed);
        Assert.Equal("playback token missing or invalid", publishToken.Reason);
        Assert.True(otherApp.Allowed, "only the apps listed need a playback token");

        _clock.Advance(TimeSpan.FromMinutes(6));
        AuthDecision expired = await auth.AuthorizePlayAsync(Request("main", Remote, query: TokenQuery("play", "main", expires)), CancellationToken.None);
        Assert.False(expired.Allowed);
        Assert.Equal("token expired", expired.Reason);
    }

    [Fact]
    public void CheckPlayback_StarApp_EveryAppNeedsItsToken()
    {
        var options = new AuthOptions { TokenSecret = Secret, PlaybackTokenApps = ["*"] };
        StreamAuthorizer auth = Authorizer(options);
        long expires = InFiveMinutes;
        string expiresText = expires.ToString(CultureInfo.InvariantCulture);

        Assert.True(options.PlaybackNeedsToken("live"));
        Assert.True(options.PlaybackNeedsToken("anything"));
        Assert.Equal(TokenCheck.Valid, auth.CheckPlayback("studio", "desk", OperatorToken.Make(Secret, "play", "studio", "desk", expires), expiresText));
        Assert.Equal(TokenCheck.Missing, auth.CheckPlayback("studio", "desk", null, null));
        Assert.Equal(TokenCheck.Invalid, auth.CheckPlayback("studio", "desk", OperatorToken.Make(Secret, "play", "live", "desk", expires), expiresText));
    }

    [Fact]
    public void PlaybackNeedsToken_NoAppsListed_False()
        => Assert.False(new AuthOptions { TokenSecret = Secret }.PlaybackNeedsToken("live"));

    // --- Validation -----------------------------------------------------------------------------

    [Fact]
    public void Validate_ShortStreamKey_RefusedWithoutEchoingIt()
    {
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(WithKey(key: "short-key").Validate);
        Assert.Contains("Auth:StreamKeys", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short-key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ShortTokenSecret_RefusedWithoutEchoingIt()
    {
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(new AuthOptions { TokenSecret = "tiny-secret" }.Validate);
        Assert.Contains("Auth:TokenSecret", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("tiny-secret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PlaybackTokenAppsWithoutSecret_Refused()
        => Assert.Contains("Auth:PlaybackTokenApps", Assert.Throws<InvalidOperationException>(new AuthOptions { PlaybackTokenApps = ["live"] }.Validate).Message, StringComparison.Ordinal);
}
