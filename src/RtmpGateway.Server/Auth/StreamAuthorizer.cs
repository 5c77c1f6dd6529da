using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace RtmpGateway.Server.Auth;

/// <summary>A publish or play request as the RTMP connection saw it; <see cref="Name"/> is what the client sent, without its query.</summary>
internal sealed record AuthRequest(string App, string Name, IReadOnlyList<KeyValuePair<string, string>> Query, IPAddress? Address, string ClientId, string? FlashVer, string? TcUrl)
{
    public string? QueryValue(string key) => Query.FirstOrDefault(p => p.Key == key).Value;
}

/// <summary>
/// The answer: allowed under <see cref="PublicName"/> (a stream key's public name, a webhook's
/// rename, or the requested name), or refused for <see cref="Reason"/>. Neither ever holds a key or token.
/// </summary>
internal sealed record AuthDecision(bool Allowed, string PublicName, string Reason)
{
    public static AuthDecision Allow(string name, string how) => new(true, name, how);

    public static AuthDecision Deny(string reason) => new(false, "", reason);
}

/// <summary>
/// Decides who may publish and play. Publish: the address rules, then a stream key, a signed token,
/// the webhook, in that order; the first that allows wins. With none of the three configured,
/// loopback publishers may publish (the first-run mode) and others may not.
/// </summary>
internal sealed class StreamAuthorizer
{
    public const string WebhookClient = "auth-webhook";

    private readonly AuthOptions _options;
    private readonly IHttpClientFactory _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IpRules _publishRules;
    private readonly IpRules _playRules;
    private readonly (byte[] Key, StreamKeyOptions Entry)[] _keys;

    public StreamAuthorizer(IOptions<AuthOptions> options, IHttpClientFactory http, TimeProvider time, ILogger<StreamAuthorizer> logger)
    {
        _options = options.Value;
        _http = http;
        _time = time;
        _logger = logger;
        _publishRules = new IpRules(_options.Publish);
        _playRules = new IpRules(_options.Play);
        _keys = [.. _options.StreamKeys.Select(k => (Encoding.UTF8.GetBytes(k.Key), k))];
    }

    public async Task<AuthDecision> AuthorizePublishAsync(AuthRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_publishRules.Check(request.Address) is { } denied)
        {
            return AuthDecision.Deny(denied);
        }

        if (MatchStreamKey(request) is { } entry)
        {
            return AuthDecision.Allow(entry.Name, "stream key");
        }

        string? tokenProblem = null;
        if (!string.IsNullOrEmpty(_options.TokenSecret))
        {
            switch (SignedToken.Check(_options.TokenSecret, SignedToken.Publish, request.App, request.Name, request.QueryValue("token"), request.QueryValue("expires"), _time.GetUtcNow()))
            {
                case TokenCheck.Valid:
                    return AuthDecision.Allow(request.Name, "signed token");
                case TokenCheck.Expired:
                    tokenProblem = "token expired";
                    break;
                case TokenCheck.Invalid:
                    tokenProblem = "token invalid";
                    break;
            }
        }

        if (_options.Webhook.Url is not null)
        {
            return await AskWebhookAsync("publish", request, cancellationToken).ConfigureAwait(false);
        }

        if (!_options.HasPublishCredentials && _options.OpenLoopbackWhenUnconfigured && request.Address is { } a && IPAddress.IsLoopback(IpRules.Canonical(a)))
        {
            return AuthDecision.Allow(request.Name, "loopback, no credentials configured");
        }

        return AuthDecision.Deny(tokenProblem ?? (_options.HasPublishCredentials ? "no valid stream key or token" : "publishing from other machines needs Auth settings (stream keys, tokens or a webhook)"));
    }

    public async Task<AuthDecision> AuthorizePlayAsync(AuthRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_playRules.Check(request.Address) is { } denied)
        {
            return AuthDecision.Deny(denied);
        }

        if (_options.PlaybackNeedsToken(request.App))
        {
            TokenCheck check = CheckPlayback(request.App, request.Name, request.QueryValue("token"), request.QueryValue("expires"));
            if (check != TokenCheck.Valid)
            {
                return AuthDecision.Deny(check == TokenCheck.Expired ? "token expired" : "playback token missing or invalid");
            }
        }

        return _options.Webhook.Url is not null
            ? await AskWebhookAsync("play", request, cancellationToken).ConfigureAwait(false)
            : AuthDecision.Allow(request.Name, "open");
    }

    /// <summary>HTTP playback: the "play" token for the stream, when its app asks for one.</summary>
    public TokenCheck CheckPlayback(string app, string name, string? token, string? expires)
        => SignedToken.Check(_options.TokenSecret ?? "", SignedToken.Play, app, name, token, expires, _time.GetUtcNow());

    /// <summary>publish_done / play_done: told to the webhook, answer ignored (nginx-rtmp does the same).</summary>
    public void NotifyDone(string call, AuthRequest request)
    {
        if (_options.Webhook.Url is null)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                using HttpResponseMessage response = await PostAsync(call, request, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                AuthLog.WebhookUnreachable(_logger, call, e.GetType().Name);
            }
        });
    }

    private StreamKeyOptions? MatchStreamKey(AuthRequest request)
    {
        // Every key is compared, in constant time each, so timing tells nothing about which matched.
        byte[] given = Encoding.UTF8.GetBytes(request.Name);
        StreamKeyOptions? match = null;
        foreach ((byte[] key, StreamKeyOptions entry) in _keys)
        {
            bool same = key.Length == given.Length && CryptographicOperations.FixedTimeEquals(key, given);
            if (same && string.Equals(entry.App, request.App, StringComparison.Ordinal))
            {
                match = entry;
            }
        }

        return match;
    }

    private async Task<AuthDecision> AskWebhookAsync(string call, AuthRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using HttpResponseMessage response = await PostAsync(call, request, cancellationToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return AuthDecision.Allow(request.Name, "webhook");
            }

            // nginx-rtmp: a 3xx on publish renames the stream to the Location's name.
            if (status is >= 300 and < 400 && response.Headers.Location is { } location && call == "publish")
            {
                string path = location.IsAbsoluteUri ? location.AbsolutePath : location.OriginalString.Split('?')[0];
                string renamed = path.TrimEnd('/').Split('/')[^1];
                return AuthDecision.Allow(renamed, "webhook rename");
            }

            return AuthDecision.Deny(string.Create(CultureInfo.InvariantCulture, $"webhook answered {status}"));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Fail closed: no answer is no.
            return AuthDecision.Deny(e is OperationCanceledException ? "webhook timed out" : "webhook unreachable");
        }
    }

    /// <summary>nginx-rtmp's on_publish/on_play form: call, app, name, addr, clientid, flashver, tcurl, type, and the name's query arguments.</summary>
    private async Task<HttpResponseMessage> PostAsync(string call, AuthRequest request, CancellationToken cancellationToken)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("call", call),
            new("app", request.App),
            new("name", request.Name),
            new("addr", request.Address?.ToString() ?? ""),
            new("clientid", request.ClientId),
            new("flashver", request.FlashVer ?? ""),
            new("tcurl", request.TcUrl ?? ""),
            new("type", "live"),
        };
        fields.AddRange(request.Query.Where(p => fields.TrueForAll(f => f.Key != p.Key)));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Webhook.Timeout);
        using var content = new FormUrlEncodedContent(fields);
        return await _http.CreateClient(WebhookClient).PostAsync(_options.Webhook.Url, content, timeout.Token).ConfigureAwait(false);
    }
}

internal static partial class AuthLog
{
    [LoggerMessage(4001, LogLevel.Warning, "Auth webhook for {Call} unreachable ({Error})")]
    public static partial void WebhookUnreachable(ILogger logger, string call, string error);
}
