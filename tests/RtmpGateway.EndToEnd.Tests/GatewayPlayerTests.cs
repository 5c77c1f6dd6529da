using RtmpGateway.EndToEnd.Tests.Infrastructure;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// The gateway's own player page in Debian's Chromium: hls.js plays the HLS and dash.js the MPD the
/// gateway packages from a live ffmpeg publish.
/// </summary>
[Trait("Category", "E2E")]
[Collection(EndToEndCollection.Name)]
public sealed class GatewayPlayerTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;
    private Browser _browser = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayInstance.StartAsync();
        _browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task PlayerPage_LivePublish_HlsJsAndDashJsBothPlay()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishTestSource(_gateway.RtmpUrl("live", "browser"), null, seconds: 40));
        await _gateway.WaitForStreamAsync("live", "browser", TimeSpan.FromSeconds(20));

        foreach ((string tech, string engine) in new[] { ("hls", "hls.js "), ("dash", "dash.js ") })
        {
            BrowserPage page = await _browser.OpenAsync(new Uri(_gateway.HttpBase, $"/?stream=browser&tech={tech}"), "gateway-" + tech);
            await page.WaitForAsync(PlayerPageProbe.StartedOrFailed, TimeSpan.FromSeconds(30), PlayerPageProbe.State);
            await PlayerPageProbe.AssertNoErrorAsync(page);
            Assert.StartsWith(engine, await page.EvaluateAsync<string>("gatewayPlayer.engine"), StringComparison.Ordinal);
            Assert.Equal(1280, await page.EvaluateAsync<int>("video.videoWidth"));

            double start = await page.EvaluateAsync<double>("video.currentTime");
            await page.WaitForAsync($"gatewayPlayer.error !== null || video.currentTime >= {start + 5}", TimeSpan.FromSeconds(25), PlayerPageProbe.State);
            await PlayerPageProbe.AssertNoErrorAsync(page);
            Assert.True(await page.EvaluateAsync<int>("video.getVideoPlaybackQuality().totalVideoFrames") > 0);
            Assert.NotNull(await page.EvaluateAsync<double?>("gatewayPlayer.latency()")); // live: there is a live edge
            await page.ScreenshotAsync("playing");
            await page.Page.CloseAsync();
        }
    }

}
