namespace RtmpGateway.Server.Auth;

/// <summary>
/// Who may publish and play (configuration section "Auth"). With nothing configured, publishers on
/// this machine (127.0.0.1, ::1) may publish any name and everyone else is refused: a first run
/// needs no setup, and a gateway on the internet is not open to the world.
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>Stream keys: the publisher uses the key as the stream name; viewers see only the public name.</summary>
    public List<StreamKeyOptions> StreamKeys { get; init; } = [];

    /// <summary>
    /// Secret for HMAC-SHA256 signed tokens (publish, and playback where <see cref="PlaybackTokenApps"/> asks).
    /// A token is base64url(HMAC-SHA256(secret, "{action}:{app}/{name}:{expires}")), with action
    /// "publish" or "play" and expires in Unix seconds, sent as "?expires=...&amp;token=..." after the stream name.
    /// </summary>
    public string? TokenSecret { get; set; }

    /// <summary>An HTTP endpoint asked on publish and play, in nginx-rtmp's on_publish/on_play form.</summary>
    public WebhookOptions Webhook { get; init; } = new();

    /// <summary>Addresses allowed or denied to publish.</summary>
    public IpRuleOptions Publish { get; init; } = new();

    /// <summary>Addresses allowed or denied to play over RTMP.</summary>
    public IpRuleOptions Play { get; init; } = new();

    /// <summary>Apps whose HTTP playback (playlists, MPD, init, segments, parts) needs a signed "play" token; "*" for all.</summary>
    public List<string> PlaybackTokenApps { get; init; } = [];

    /// <summary>With no stream keys, token secret or webhook configured, publishers on a loopback address may publish any name.</summary>
    public bool OpenLoopbackWhenUnconfigured { get; set; } = true;

    /// <summary>Whether any way to authorize a publisher is configured.</summary>
    public bool HasPublishCredentials => StreamKeys.Count > 0 || !string.IsNullOrEmpty(TokenSecret) || Webhook.Url is not null;

    public bool PlaybackNeedsToken(string app) => PlaybackTokenApps.Exists(a => a == "*" || string.Equals(a, app, StringComparison.Ordinal));

    /// <summary>Checks every value, naming the configuration key that is wrong (keys and secrets are never echoed).</summary>
    public void Validate()
    {
        foreach (StreamKeyOptions key in StreamKeys)
        {
            Require(key.Key.Length >= 16, "Auth:StreamKeys: every Key must be at least 16 characters");
            Require(key.Name.Length > 0, "Auth:StreamKeys: every entry needs a public Name");
        }

        Require(TokenSecret is null || TokenSecret.Length >= 16, "Auth:TokenSecret must be at least 16 characters");
        Require(PlaybackTokenApps.Count == 0 || !string.IsNullOrEmpty(TokenSecret), "Auth:PlaybackTokenApps needs Auth:TokenSecret");
        Require(Webhook.Timeout > TimeSpan.Zero && Webhook.Timeout <= TimeSpan.FromSeconds(30), "Auth:Webhook:Timeout must be over 0 and at most 30 s");
        Publish.Validate("Auth:Publish");
        Play.Validate("Auth:Play");
    }

    internal static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}

public sealed class StreamKeyOptions
{
    /// <summary>The secret the encoder sends as its stream name (OBS: "Stream Key").</summary>
    public string Key { get; set; } = "";

    /// <summary>The app the key is valid for.</summary>
    public string App { get; set; } = "live";

    /// <summary>The public name viewers use: /{app}/{name}/index.m3u8.</summary>
    public string Name { get; set; } = "";
}

public sealed class WebhookOptions
{
    /// <summary>POSTed a form on publish, publish_done, play and play_done; null: no webhook.</summary>
    public Uri? Url { get; set; }

    /// <summary>No answer within this refuses the publish or play (fail closed).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);
}

public sealed class IpRuleOptions
{
    /// <summary>If not empty, only these addresses or networks ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7") may.</summary>
    public List<string> Allow { get; init; } = [];

    /// <summary>These never may; deny wins over allow.</summary>
    public List<string> Deny { get; init; } = [];

    internal void Validate(string section)
    {
        foreach (string rule in Allow.Concat(Deny))
        {
            AuthOptions.Require(IpRules.TryParse(rule, out _), $"{section}: '{rule}' is not an address or CIDR network");
        }
    }
}
