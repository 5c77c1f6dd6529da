using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.Server.Tests.Auth;

/// <summary>
/// An auth backend as nginx-rtmp users have them, on real Kestrel at 127.0.0.1 and a port chosen at
/// run time. Per name asked for: "allowme*" 200, "renameme" 302 to /live/renamed, "renameabs" 302 to
/// an absolute URL, "slow" no answer until the request is aborted, anything else 403; play: 200,
/// except "noplay" 403 and "redirectplay" 302.
/// </summary>
public sealed class WebhookServer : IAsyncLifetime
{
    private WebApplication? _app;

    public ConcurrentQueue<Dictionary<string, string>> Calls { get; } = new();

    public Uri Url { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/auth", async (HttpContext context) =>
        {
            IFormCollection form = await context.Request.ReadFormAsync();
            var fields = form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
            Calls.Enqueue(fields);
            string name = fields.GetValueOrDefault("name", "");
            if (fields["call"] != "publish")
            {
                return name switch
                {
                    "noplay" => Results.StatusCode(StatusCodes.Status403Forbidden),
                    "redirectplay" => Results.Redirect("/live/elsewhere"),
                    _ => Results.Ok(),
                };
            }

            if (name == "slow")
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.Ok();
            }

            return name switch
            {
                _ when name.StartsWith("allowme", StringComparison.Ordinal) => Results.Ok(),
                "renameme" => Results.Redirect("/live/renamed"),
                "renameabs" => Results.Redirect("rtmp://edge.example/live/absolute?x=1"),
                _ => Results.StatusCode(StatusCodes.Status403Forbidden),
            };
        });
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(address + "/auth");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

/// <summary>
/// Auth:Webhook (README): POSTs nginx-rtmp's on_publish/on_play form (call, app, name, addr, clientid,
/// flashver, tcurl, type and the name's query arguments): 2xx allows, 3xx on publish renames to the
/// Location, anything else or a timeout refuses.
/// </summary>
public sealed class StreamAuthorizerWebhookTests(WebhookServer hook) : IClassFixture<WebhookServer>, IDisposable
{
    private static readonly IPAddress Remote = IPAddress.Parse("203.0.113.9");

    // The webhook client as GatewayApp registers it: a 3xx is an answer, not a redirect to follow.
    private readonly ServiceProvider _services = new ServiceCollection()
        .AddHttpClient(StreamAuthorizer.WebhookClient)
        .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        .Services.BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    private StreamAuthorizer Authorizer(Uri? url = null, TimeSpan? timeout = null, Action<AuthOptions>? configure = null)
    {
        var options = new AuthOptions { Webhook = new WebhookOptions { Url = url ?? hook.Url, Timeout = timeout ?? TimeSpan.FromSeconds(10) } };
        configure?.Invoke(options);
        options.Validate();
        return new StreamAuthorizer(Options.Create(options), _services.GetRequiredService<IHttpClientFactory>(), new FakeTimeProvider(), NullLogger<StreamAuthorizer>.Instance);
    }

    private static AuthRequest Request(string name, params (string Key, string Value)[] query) => StreamAuthorizerTests.Request(name, Remote, "live", query);

    private Dictionary<string, string> SingleCall(string call, string name)
        => Assert.Single(hook.Calls, c => c["call"] == call && c["name"] == name);

    [Fact]
    public async Task AuthorizePublish_Webhook2xx_AllowedAndAskedWithNginxRtmpsForm()
    {
        AuthDecision decision = await Authorizer().AuthorizePublishAsync(Request("allowme-form", ("user", "alice"), ("sig", "xyz")), CancellationToken.None);

        Assert.True(decision.Allowed, decision.Reason);
        Assert.Equal("allowme-form", decision.PublicName);
        Dictionary<string, string> form = SingleCall("publish", "allowme-form");
        Assert.Equal("live", form["app"]);
        Assert.Equal("203.0.113.9", form["addr"]);
        Assert.Equal("c1", form["clientid"]);
        Assert.Equal("FMLE/3.0", form["flashver"]);
        Assert.Equal("rtmp://gateway/live", form["tcurl"]);
        Assert.Equal("live", form["type"]);
        Assert.Equal("alice", form["user"]);
        Assert.Equal("xyz", form["sig"]);
    }

    [Fact]
    public async Task AuthorizePublish_QueryArgumentNamedAsAFormField_DoesNotOverrideIt()
    {
        await Authorizer().AuthorizePublishAsync(Request("allowme-override", ("call", "play"), ("app", "other"), ("addr", "127.0.0.1")), CancellationToken.None);

        Dictionary<string, string> form = SingleCall("publish", "allowme-override");
        Assert.Equal("live", form["app"]);
        Assert.Equal("203.0.113.9", form["addr"]);
    }

    [Fact]
    public async Task AuthorizePublish_Webhook3xx_RenamedToTheLocationsLastPathSegment()
    {
        StreamAuthorizer auth = Authorizer();

        AuthDecision relative = await auth.AuthorizePublishAsync(Request("renameme"), CancellationToken.None);
        AuthDecision absolute = await auth.AuthorizePublishAsync(Request("renameabs"), CancellationToken.None);

        Assert.True(relative.Allowed, relative.Reason);
        Assert.Equal("renamed", relative.PublicName);
        Assert.True(absolute.Allowed, absolute.Reason);
        Assert.Equal("absolute", absolute.PublicName);
    }

    [Fact]
    public async Task AuthorizePublish_Webhook403_RefusedWithTheStatus()
    {
        AuthDecision decision = await Authorizer().AuthorizePublishAsync(Request("denyme"), CancellationToken.None);

        Assert.False(decision.Allowed);
        Assert.Equal("webhook answered 403", decision.Reason);
    }

    [Fact]
    public async Task AuthorizePublish_WebhookSilentPastTheTimeout_RefusedTimedOut()
    {
        AuthDecision decision = await Authorizer(timeout: TimeSpan.FromMilliseconds(300)).AuthorizePublishAsync(Request("slow"), CancellationToken.None);

        Assert.False(decision.Allowed);
        Assert.Equal("webhook timed out", decision.Reason);
    }

    [Fact]
    public async Task AuthorizePublish_NothingListening_RefusedUnreachable()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        AuthDecision decision = await Authorizer(url: new Uri($"http://127.0.0.1:{port}/auth")).AuthorizePublishAsync(Request("allowme-nobody"), CancellationToken.None);

        Assert.False(decision.Allowed);
        Assert.Equal("webhook unreachable", decision.Reason);
    }

    [Fact]
    public async Task AuthorizePublish_CallerCancels_Cancelled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Authorizer().AuthorizePublishAsync(Request("slow"), cancel.Token));
    }

    [Fact]
    public async Task AuthorizePublish_StreamKey_AllowedWithoutAskingTheWebhook()
    {
        const string key = "sk-webhook-never-asked";
        AuthDecision decision = await Authorizer(configure: o => o.StreamKeys.Add(new StreamKeyOptions { Key = key, Name = "keyed" }))
            .AuthorizePublishAsync(Request(key), CancellationToken.None);

        Assert.True(decision.Allowed, decision.Reason);
        Assert.Equal("keyed", decision.PublicName);
        Assert.DoesNotContain(hook.Calls, c => c["name"] == key);
    }

    [Theory]
    [InlineData("allowme-badtoken", "AAcHYp99QLne-io7ketByVGq_9m5ZFLIyYHV9n7yO80")]
    [InlineData("allowme-nottoken", "a token for the webhook, not ours")]
    public async Task AuthorizePublish_TokenNotOursWithWebhook_TheWebhookDecides(string name, string token)
    {
        // nginx-rtmp users pass their own ?token= to their webhook; a token that is not ours falls through to it.
        AuthDecision decision = await Authorizer(configure: o => o.TokenSecret = "test-secret-0123456789abcdef")
            .AuthorizePublishAsync(Request(name, ("expires", "1767225600"), ("token", token)), CancellationToken.None);

        Assert.True(decision.Allowed, decision.Reason);
        Assert.Equal(token, SingleCall("publish", name)["token"]);
    }

    [Fact]
    public async Task AuthorizePlay_Webhook_2xxPlays403Refused3xxRefusedNotRenamed()
    {
        StreamAuthorizer auth = Authorizer();

        AuthDecision allowed = await auth.AuthorizePlayAsync(Request("viewer-ok"), CancellationToken.None);
        AuthDecision refused = await auth.AuthorizePlayAsync(Request("noplay"), CancellationToken.None);
        AuthDecision redirected = await auth.AuthorizePlayAsync(Request("redirectplay"), CancellationToken.None);

        Assert.True(allowed.Allowed, allowed.Reason);
        Assert.Equal("viewer-ok", allowed.PublicName);
        Assert.Equal("webhook answered 403", refused.Reason);
        Assert.False(redirected.Allowed);
        Assert.Equal("webhook answered 302", redirected.Reason);
        Assert.Equal("play", SingleCall("play", "viewer-ok")["call"]);
    }

    [Fact]
    public async Task NotifyDone_Webhook_PostsTheDoneCall()
    {
        Authorizer().NotifyDone("publish_done", Request("allowme-done"));

        var waited = Stopwatch.StartNew();
        while (!hook.Calls.Any(c => c["call"] == "publish_done" && c["name"] == "allowme-done"))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "no publish_done call within 10 s");
            await Task.Delay(20);
        }

        Assert.Equal("203.0.113.9", SingleCall("publish_done", "allowme-done")["addr"]);
    }
}
