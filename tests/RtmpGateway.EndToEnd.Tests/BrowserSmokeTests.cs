using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Server.Hosting;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// The player page in Debian's Chromium, against streams ffmpeg wrote to disk (fMP4 HLS with two
/// rungs, and the same as DASH) served with the page by a tiny Kestrel app: proves hls.js, dash.js and
/// the page work in this browser on this machine, before any gateway packaging is involved.
/// </summary>
[Trait("Category", "E2E")]
[Collection(EndToEndCollection.Name)]
public sealed partial class BrowserSmokeTests : IClassFixture<BrowserSmokeTests.SmokeSite>
{
    private readonly SmokeSite _site;

    public BrowserSmokeTests(SmokeSite site)
    {
        _site = site;
    }

    [Theory]
    [InlineData("hls", "hls.js ")]
    [InlineData("dash", "dash.js ")]
    public async Task PlayerPage_SmokeStream_PlaysSwitchesRungsAndListsLevels(string tech, string engine)
    {
        BrowserPage page = await _site.Browser.OpenAsync(new Uri(_site.BaseUri, $"/?stream=smoke&tech={tech}"), $"smoke-{tech}");

        await page.WaitForAsync(PlayerPageProbe.StartedOrFailed, TimeSpan.FromSeconds(20), PlayerPageProbe.State);
        await PlayerPageProbe.AssertNoErrorAsync(page);
        double start = await page.EvaluateAsync<double>("video.currentTime");
        Assert.StartsWith(engine, await page.EvaluateAsync<string>("gatewayPlayer.engine"), StringComparison.Ordinal);

        // The quality selector: Auto, then one "WxH N kbps" entry per rung ffmpeg wrote.
        string[] options = await page.EvaluateAsync<string[]>("[...document.querySelectorAll('#quality option')].map(o => o.textContent)");
        Assert.Equal("Auto", options[0]);
        Assert.Equal(["320x180", "640x360"], options.Skip(1).Select(o => RungLabel().Match(o).Groups[1].Value).Order());
        Assert.Equal(2, await page.EvaluateAsync<int>("gatewayPlayer.levels.length"));

        // Switch to the rung not on screen, through the page's own API.
        int playingWidth = await page.EvaluateAsync<int>("video.videoWidth");
        int other = await page.EvaluateAsync<int>($"gatewayPlayer.levels.findIndex(l => l.width !== {playingWidth})");
        Assert.True(await page.EvaluateAsync<bool>($"gatewayPlayer.setLevel({other})"));
        await page.WaitForAsync($"gatewayPlayer.error !== null || video.videoWidth === gatewayPlayer.levels[{other}].width", TimeSpan.FromSeconds(15), PlayerPageProbe.State);
        await PlayerPageProbe.AssertNoErrorAsync(page);

        await page.WaitForAsync($"gatewayPlayer.error !== null || video.currentTime >= {start + 5}", TimeSpan.FromSeconds(20), PlayerPageProbe.State);
        await PlayerPageProbe.AssertNoErrorAsync(page);
        Assert.True(await page.EvaluateAsync<int>("video.getVideoPlaybackQuality().totalVideoFrames") > 0);
        Assert.Null(await page.EvaluateAsync<double?>("gatewayPlayer.latency()")); // a VOD stream has no live edge
        await page.ScreenshotAsync("playing");
        await page.Page.CloseAsync();
    }

    [Fact]
    public async Task PlayerPage_QueryString_SelectsStreamTechAndLowLatency_ListFromApiStreams()
    {
        BrowserPage page = await _site.Browser.OpenAsync(new Uri(_site.BaseUri, "/?stream=smoke&tech=dash&ll=1"), "streams");

        await page.WaitForAsync("document.querySelectorAll('#streams button').length === 1", TimeSpan.FromSeconds(10), PlayerPageProbe.State);
        Assert.Equal("smoke", await page.EvaluateAsync<string>("document.querySelector('#streams button').dataset.name"));
        Assert.True(await page.EvaluateAsync<bool>("document.querySelector('#streams button').classList.contains('current')"));
        Assert.True(await page.EvaluateAsync<bool>("document.getElementById('notice').hidden"));
        Assert.Equal("dash", await page.EvaluateAsync<string>("document.getElementById('tech').value"));
        Assert.True(await page.EvaluateAsync<bool>("document.getElementById('ll').checked"));
        await page.Page.CloseAsync();
    }

    [Fact]
    public async Task PlayerPage_VendorScriptsMissing_PageStillLoadsAndSaysNpmCiIsNeeded()
    {
        // The built wwwroot without vendor/: what a checkout looks like before setup ran npm ci.
        string root = Directory.CreateTempSubdirectory("rtmpgw-novendor-").FullName;
        try
        {
            foreach (string file in new[] { "index.html", "player.js", "player.css" })
            {
                File.Copy(Path.Combine(AppContext.BaseDirectory, "wwwroot", file), Path.Combine(root, file));
            }

            await using WebApplication app = await SmokeSite.StartAppAsync(mediaRoot: null, pageRoot: root);
            Uri baseUri = new(app.Urls.First());
            using var http = new HttpClient();
            string html = await http.GetStringAsync(new Uri(baseUri, "/"));
            Assert.Contains("id=\"notice\" class=\"notice\">", html, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(baseUri, "/vendor/hls.min.js"))).StatusCode);

            // DASH: for HLS, Chromium (since 141) falls back to its own player, as Safari does.
            BrowserPage page = await _site.Browser.OpenAsync(new Uri(baseUri, "/?stream=smoke&tech=dash"), "novendor");
            Assert.False(await page.EvaluateAsync<bool>("document.getElementById('notice').hidden"));
            Assert.Contains("npm ci", await page.EvaluateAsync<string>("document.getElementById('notice').textContent"), StringComparison.Ordinal);
            Assert.Contains("npm ci", await page.EvaluateAsync<string>("gatewayPlayer.error"), StringComparison.Ordinal);
            await page.Page.CloseAsync();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData("/", "text/html; charset=utf-8", "no-cache")]
    [InlineData("/player.js", "text/javascript; charset=utf-8", "public, max-age=60")]
    [InlineData("/player.css", "text/css; charset=utf-8", "public, max-age=60")]
    [InlineData("/vendor/hls.min.js", "text/javascript; charset=utf-8", "public, max-age=60")]
    [InlineData("/vendor/dash.mediaplayer.min.js", "text/javascript; charset=utf-8", "public, max-age=60")]
    public async Task PlayerPage_Assets_HaveContentTypeAndShortCaching(string path, string contentType, string cacheControl)
    {
        using var http = new HttpClient();
        using HttpResponseMessage response = await http.GetAsync(new Uri(_site.BaseUri, path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.ToString());
        Assert.Equal(cacheControl, response.Headers.CacheControl?.ToString());
    }

    [GeneratedRegex(@"^(\d+x\d+) \d+ kbps$")]
    private static partial Regex RungLabel();

    /// <summary>
    /// ffmpeg's streams under live/smoke/ (index.m3u8 and manifest.mpd side by side, as the gateway lays
    /// them out), the player page, a fixed /api/streams, and one Chromium for all the tests.
    /// </summary>
    public sealed class SmokeSite : IAsyncLifetime
    {
        private static readonly string[] Source =
        [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "20",
            "-filter_complex", "[0:v]split=2[hi][lo0];[lo0]scale=320:180[lo]",
        ];

        // GOP of 1 s with no scene-cut keyframes: both rungs cut at the same instants.
        private static readonly string[] Encode =
        [
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
            "-b:v:0", "800k", "-b:v:1", "300k", "-c:a", "aac", "-b:a", "96k",
        ];

        private string _mediaRoot = null!;
        private WebApplication _app = null!;

        public Uri BaseUri { get; private set; } = null!;

        public Browser Browser { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _mediaRoot = Directory.CreateTempSubdirectory("rtmpgw-smoke-").FullName;
            string dir = Directory.CreateDirectory(Path.Combine(_mediaRoot, "smoke")).FullName;
            await RunFfmpegAsync(
            [
                .. Source, "-map", "[hi]", "-map", "[lo]", "-map", "1:a", "-map", "1:a", .. Encode,
                "-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", "2", "-hls_playlist_type", "vod",
                "-hls_flags", "independent_segments", "-var_stream_map", "v:0,a:0 v:1,a:1", "-master_pl_name", "index.m3u8",
                "-hls_fmp4_init_filename", "hls-%v-init.mp4", "-hls_segment_filename", Path.Combine(dir, "hls-%v-%03d.m4s"),
                Path.Combine(dir, "hls-%v.m3u8"),
            ]);
            await RunFfmpegAsync(
            [
                .. Source, "-map", "[hi]", "-map", "[lo]", "-map", "1:a", .. Encode,
                "-f", "dash", "-seg_duration", "2", "-use_template", "1", "-use_timeline", "1",
                "-adaptation_sets", "id=0,streams=v id=1,streams=a",
                "-init_seg_name", "dash-$RepresentationID$-init.m4s", "-media_seg_name", "dash-$RepresentationID$-$Number%03d$.m4s",
                Path.Combine(dir, "manifest.mpd"),
            ]);

            _app = await StartAppAsync(_mediaRoot, pageRoot: null);
            BaseUri = new Uri(_app.Urls.First());
            Browser = await Browser.LaunchAsync();
        }

        private static async Task RunFfmpegAsync(string[] args)
        {
            await using ToolProcess ffmpeg = await ToolProcess.RunAsync(TimeSpan.FromSeconds(60), "ffmpeg", args);
            Assert.True(ffmpeg.ExitCode == 0, ffmpeg.StdErr);
        }

        /// <summary>Kestrel on a free loopback port: the page (from <paramref name="pageRoot"/>, else the build's wwwroot), /live and /api/streams.</summary>
        internal static async Task<WebApplication> StartAppAsync(string? mediaRoot, string? pageRoot)
        {
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            WebApplication app = builder.Build();
            if (mediaRoot is not null)
            {
                var types = new FileExtensionContentTypeProvider();
                types.Mappings[".m3u8"] = "application/vnd.apple.mpegurl";
                types.Mappings[".mpd"] = "application/dash+xml";
                types.Mappings[".m4s"] = "video/iso.segment";
                types.Mappings[".mp4"] = "video/mp4";
                app.UseStaticFiles(new StaticFileOptions
                {
                    FileProvider = new PhysicalFileProvider(mediaRoot),
                    RequestPath = "/live",
                    ContentTypeProvider = types,
                });
            }

            app.MapGet("/api/streams", () => Results.Text("""[{"app":"live","name":"smoke"}]""", "application/json"));
            if (pageRoot is null)
            {
                app.MapPlayerPage();
            }
            else
            {
                app.MapPlayerPage(pageRoot);
            }

            await app.StartAsync();
            return app;
        }

        public async Task DisposeAsync()
        {
            if (Browser is not null)
            {
                await Browser.DisposeAsync();
            }

            if (_app is not null)
            {
                await _app.StopAsync();
                await _app.DisposeAsync();
            }

            Directory.Delete(_mediaRoot, recursive: true);
        }
    }
}
