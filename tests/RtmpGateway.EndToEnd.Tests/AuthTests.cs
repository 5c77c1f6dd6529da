using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// Publish and playback auth with real ffmpeg publishers and real HTTP clients on loopback: stream
/// keys, signed tokens, the nginx-rtmp style webhook, address rules and playback tokens. Keys and
/// tokens must never show in a URL the gateway makes, a playlist, the API or a log line.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class AuthTests
{
    private const string Secret = "test-secret-0123456789abcdef";
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(60);

    private static string[] Publish(string url, int seconds = 3) => Ffmpeg.PublishTestSource(url, null, seconds, 320, 240);

    private static long Expires(TimeSpan fromNow) => DateTimeOffset.UtcNow.Add(fromNow).ToUnixTimeSeconds();

    [Fact]
    public async Task StreamKey_PublishesUnderThePublicName_TheKeyAppearsNowhere()
    {
        const string key = "sk-4b1d9e0f7a2c8e63";
        const string wrongKey = "sk-0000000000000000";
        await using GatewayInstance gateway = await GatewayInstance.StartAsync(
            "--Auth:StreamKeys:0:Key", key, "--Auth:StreamKeys:0:Name", "main");
        using var http = new HttpClient();

        await using ToolProcess ffmpeg = ToolProcess.Start("ffmpeg", Publish(gateway.RtmpUrl("live", key), seconds: 6));
        string multivariant = await gateway.GetWhenReadyAsync(http, "/live/main/index.m3u8", PublishTimeout);
        string media = await gateway.GetWhenReadyAsync(http, "/live/main/source/index.m3u8", PublishTimeout);
        string mpd = await gateway.GetWhenReadyAsync(http, "/live/main/manifest.mpd", PublishTimeout);
        string api = await http.GetStringAsync(new Uri(gateway.HttpBase, "/api/streams"));
        using HttpResponseMessage byKey = await http.GetAsync(new Uri(gateway.HttpBase, $"/live/{key}/index.m3u8"));

        Assert.Equal(HttpStatusCode.NotFound, byKey.StatusCode);
        Assert.Contains("\"main\"", api, StringComparison.Ordinal);
        foreach (string text in (string[])[multivariant, media, mpd, api])
        {
            Assert.DoesNotContain(key, text, StringComparison.Ordinal);
        }

        // A wrong key is refused, and is not logged either.
        await using ToolProcess wrong = await ToolProcess.RunAsync(PublishTimeout, "ffmpeg", Publish(gateway.RtmpUrl("live", wrongKey)));
        Assert.NotEqual(0, wrong.ExitCode);
        await gateway.Logs.WaitForLineAsync(l => l.Contains("no valid stream key or token", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        await ffmpeg.WaitAsync(PublishTimeout);
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains(key, StringComparison.Ordinal) || l.Contains(wrongKey, StringComparison.Ordinal));
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("publishing live/main", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SignedPublishToken_ValidPublishes_ExpiredAndForgedAreRefused()
    {
        await using GatewayInstance gateway = await GatewayInstance.StartAsync("--Auth:TokenSecret", Secret);
        using var http = new HttpClient();
        long expires = Expires(TimeSpan.FromMinutes(5));
        // Made as the README tells operators to, not by the gateway's own code: base64url (unpadded) of
        // HMAC-SHA256(secret, "publish:live/tok:{expires}").
        string token = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"publish:live/tok:{expires}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

        await using (ToolProcess valid = ToolProcess.Start("ffmpeg", Publish(gateway.RtmpUrl("live", $"tok?expires={expires}&token={token}"))))
        {
            string playlist = await gateway.GetWhenReadyAsync(http, "/live/tok/source/index.m3u8", PublishTimeout);
            Assert.DoesNotContain(token, playlist, StringComparison.Ordinal);
            await valid.WaitAsync(PublishTimeout);
            Assert.Equal(0, valid.ExitCode);
        }

        long past = Expires(TimeSpan.FromMinutes(-1));
        string expiredToken = SignedToken.Create(Secret, SignedToken.Publish, "live", "old", past);
        await using ToolProcess expired = await ToolProcess.RunAsync(PublishTimeout, "ffmpeg", Publish(gateway.RtmpUrl("live", $"old?expires={past}&token={expiredToken}")));
        Assert.NotEqual(0, expired.ExitCode);
        await gateway.Logs.WaitForLineAsync(l => l.Contains("token expired", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        // A token for another stream, and one for a later expiry than it was signed for.
        await using ToolProcess otherStream = await ToolProcess.RunAsync(PublishTimeout, "ffmpeg", Publish(gateway.RtmpUrl("live", $"other?expires={expires}&token={token}")));
        await using ToolProcess extended = await ToolProcess.RunAsync(PublishTimeout, "ffmpeg", Publish(gateway.RtmpUrl("live", $"tok?expires={expires + 3600}&token={token}")));
        Assert.NotEqual(0, otherStream.ExitCode);
        Assert.NotEqual(0, extended.ExitCode);
        Assert.Equal(2, gateway.Logs.Lines.Count(l => l.Contains("refused publish of live/(name withheld)", StringComparison.Ordinal) && l.EndsWith(": token invalid", StringComparison.Ordinal)));
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains(token, StringComparison.Ordinal) || l.Contains(expiredToken, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Webhook_NginxRtmpForm_AllowsRenamesRefusesAndFailsClosed()
    {
        var calls = new ConcurrentQueue<Dictionary<string, string>>();
        await using WebApplication hook = await StartWebhookAsync(calls);
        string hookUrl = hook.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/auth";
        await using GatewayInstance gateway = await GatewayInstance.StartAsync("--Auth:Webhook:Url", hookUrl, "--Auth:Webhook:Timeout", "00:00:01");
        using var http = new HttpClient();

        await using (ToolProcess allowed = await ToolProcess.RunAsync(PublishTimeout, "ffmpeg", Publish(gateway.RtmpUrl("live", "allowme?user=alice&sig=xyz"), seconds: 2)))
        {
            Assert.True(allowed.ExitCode == 0, allowed.StdErr);
        }

        await using (ToolProcess renamed = ToolProcess.Start("ffmpeg", Publish(gateway.RtmpUrl("live", "renameme"), seconds: 4)))
        {
            await gateway.GetWhenReadyAsync(http, "/live/renamed/source/index.m3u8", PublishTimeout);
            await renamed.WaitAsync(PublishTimeout);
        }

        await using ToolProcess denied = await ToolProcess.RunAsync(PublishTimeout, "ffmpeg", Publish(gateway.RtmpUrl("live", "denyme")));
        await using ToolProcess slow = await ToolProcess.RunAsync(PublishTimeout, "ffmpeg", Publish(gateway.RtmpUrl("live", "slow")));
        Assert.NotEqual(0, denied.ExitCode);
        Assert.NotEqual(0, slow.ExitCode);
        await gateway.Logs.WaitForLineAsync(l => l.Contains("webhook answered 403", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        await gateway.Logs.WaitForLineAsync(l => l.Contains("webhook timed out", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        // nginx-rtmp's form: call, app, name, addr and the name's query arguments; publish_done after.
        Dictionary<string, string> publish = Assert.Single(calls, c => c["call"] == "publish" && c["name"] == "allowme");
        Assert.Equal("live", publish["app"]);
        Assert.Equal("127.0.0.1", publish["addr"]);
        Assert.Equal("alice", publish["user"]);
        Assert.Equal("xyz", publish["sig"]);
        Assert.Equal("live", publish["type"]);
        Assert.StartsWith("rtmp://127.0.0.1:", publish["tcurl"], StringComparison.Ordinal);
        await Poll.UntilAsync(() => calls.Any(c => c["call"] == "publish_done" && c["name"] == "allowme"), TimeSpan.FromSeconds(5), () => "no publish_done call for allowme");
    }

    [Fact]
    public async Task AddressRules_DenyWinsOverTheLoopbackFirstRunMode()
    {
        await using GatewayInstance gateway = await GatewayInstance.StartAsync("--Auth:Publish:Deny:0", "127.0.0.0/8");
        await using ToolProcess ffmpeg = await ToolProcess.RunAsync(PublishTimeout, "ffmpeg", Publish(gateway.RtmpUrl("live", "blocked")));

        Assert.NotEqual(0, ffmpeg.ExitCode);
        await gateway.Logs.WaitForLineAsync(l => l.Contains("address denied", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        Assert.Null(gateway.Hub.Find("live", "blocked"));
    }

    [Fact]
    public async Task PlaybackToken_EveryRequestChecked_AndCarriedIntoTheUrlsThePlaylistsReference()
    {
        await using GatewayInstance gateway = await GatewayInstance.StartAsync(
            "--Auth:TokenSecret", Secret, "--Auth:PlaybackTokenApps:0", "live");
        using var http = new HttpClient();
        long expires = Expires(TimeSpan.FromMinutes(5));
        string publishToken = SignedToken.Create(Secret, SignedToken.Publish, "live", "paid", expires);
        await using ToolProcess ffmpeg = ToolProcess.Start("ffmpeg", Publish(gateway.RtmpUrl("live", $"paid?expires={expires}&token={publishToken}"), seconds: 8));

        string play = SignedToken.Create(Secret, SignedToken.Play, "live", "paid", expires);
        string query = $"?expires={expires}&token={play}";
        string multivariant = await gateway.GetWhenReadyAsync(http, "/live/paid/index.m3u8" + query, PublishTimeout);
        string media = await gateway.GetWhenReadyAsync(http, "/live/paid/source/index.m3u8" + query, PublishTimeout);
        string mpd = await gateway.GetWhenReadyAsync(http, "/live/paid/manifest.mpd" + query, PublishTimeout);

        // Every URI the playlists name carries the token; the MPD's templates do too.
        string[] uris = [.. multivariant.Split('\n').Concat(media.Split('\n')).Where(l => l.Length > 0 && !l.StartsWith('#'))];
        Assert.NotEmpty(uris);
        Assert.All(uris, u => Assert.EndsWith(query, u, StringComparison.Ordinal));
        Assert.Contains($"URI=\"init-", media, StringComparison.Ordinal);
        Assert.All(media.Split('\n').Where(l => l.Contains("URI=\"", StringComparison.Ordinal)), l => Assert.Contains(query + "\"", l, StringComparison.Ordinal));
        Assert.Contains($"&amp;token={play}\"", mpd, StringComparison.Ordinal);

        string segment = media.Split('\n').First(l => l.StartsWith("seg-", StringComparison.Ordinal));
        string segmentPath = "/live/paid/source/" + segment[..segment.IndexOf('?', StringComparison.Ordinal)];
        long past = Expires(TimeSpan.FromMinutes(-1));
        string expiredPlay = SignedToken.Create(Secret, SignedToken.Play, "live", "paid", past);
        foreach (string path in (string[])["/live/paid/index.m3u8", "/live/paid/source/index.m3u8", "/live/paid/manifest.mpd", segmentPath])
        {
            Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(http, gateway, path));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(http, gateway, path + $"?expires={expires}&token={publishToken}"));
            Assert.Equal(HttpStatusCode.Gone, await StatusAsync(http, gateway, path + $"?expires={past}&token={expiredPlay}"));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, gateway, path + query));
        }

        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains(play, StringComparison.Ordinal) || l.Contains(publishToken, StringComparison.Ordinal));
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, GatewayInstance gateway, string path)
    {
        using HttpResponseMessage response = await http.GetAsync(new Uri(gateway.HttpBase, path));
        return response.StatusCode;
    }

    /// <summary>An auth backend as nginx-rtmp users have them: allows "allowme", renames "renameme", refuses the rest, hangs on "slow".</summary>
    private static async Task<WebApplication> StartWebhookAsync(ConcurrentQueue<Dictionary<string, string>> calls)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        WebApplication hook = builder.Build();
        hook.MapPost("/auth", async (HttpContext context) =>
        {
            IFormCollection form = await context.Request.ReadFormAsync();
            var fields = form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
            calls.Enqueue(fields);
            string name = fields.GetValueOrDefault("name", "");
            if (fields["call"] != "publish")
            {
                return Results.Ok();
            }

            return name switch
            {
                "allowme" => Results.Ok(),
                "renameme" => Results.Redirect("/live/renamed"),
                "slow" => await Delayed(),
                _ => Results.StatusCode(StatusCodes.Status403Forbidden),
            };

            static async Task<IResult> Delayed()
            {
                await Task.Delay(TimeSpan.FromSeconds(4));
                return Results.Ok();
            }
        });
        await hook.StartAsync();
        return hook;
    }
}
