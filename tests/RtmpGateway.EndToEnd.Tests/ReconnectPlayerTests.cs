using System.Globalization;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// hls.js and dash.js (low latency, in Chromium) playing while the ffmpeg publisher drops and comes
/// back 3 s later: no fatal error, and the player plays on from the new publisher's media. The stall
/// the outage causes and the latency afterwards are printed (timing belongs to bench/, not to asserts).
/// </summary>
[Trait("Category", "E2E")]
[Collection(EndToEndCollection.Name)]
public sealed class ReconnectPlayerTests : IAsyncLifetime
{
    private readonly ITestOutputHelper _out;
    private GatewayInstance _gateway = null!;
    private Browser _browser = null!;

    public ReconnectPlayerTests(ITestOutputHelper output)
    {
        _out = output;
    }

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

    [Theory]
    [InlineData("hls")]
    [InlineData("dash")]
    public async Task Player_PublisherDropsAndComesBack_PlaysOnAcrossTheDiscontinuity(string tech)
    {
        string name = "rc" + tech;
        BrowserPage page;
        double atDrop;
        await using (ToolProcess first = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", name), seconds: 60, 320, 240)))
        {
            await _gateway.WaitForStreamAsync("live", name, TimeSpan.FromSeconds(20));
            page = await _browser.OpenAsync(new Uri(_gateway.HttpBase, $"/?stream={name}&tech={tech}&ll=1"), "reconnect-" + tech);
            await page.WaitForAsync(PlayerPageProbe.StartedOrFailed, TimeSpan.FromSeconds(30), PlayerPageProbe.State);
            await PlayerPageProbe.AssertNoErrorAsync(page);
            await Task.Delay(TimeSpan.FromSeconds(6));
            atDrop = await page.EvaluateAsync<double>("video.currentTime");
        }

        // Dropped (killed, no unpublish); back 3 s later.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await using ToolProcess second = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", name), seconds: 60, 320, 240));
        await Poll.UntilAsync(() => _gateway.Logs.Lines.Count(l => l.Contains($" publishing live/{name}", StringComparison.Ordinal)) >= 2, TimeSpan.FromSeconds(10), () => "the second publisher did not start");

        // Sample the playhead for 20 s: the longest time it stood still, and the latency at the end.
        var samples = new List<(double Wall, double Position)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double? latency = null;
        for (int i = 0; i < 80; i++)
        {
            samples.Add((clock.Elapsed.TotalSeconds, await page.EvaluateAsync<double>("video.currentTime")));
            await PlayerPageProbe.AssertNoErrorAsync(page);
            await Task.Delay(250);
        }

        latency = await page.EvaluateAsync<double?>("gatewayPlayer.playingDate() ? (Date.now() - gatewayPlayer.playingDate().getTime()) / 1000 : null");
        double longestStill = 0;
        for (int i = 1, since = 0; i < samples.Count; i++)
        {
            if (samples[i].Position > samples[since].Position + 0.01)
            {
                since = i;
            }
            else
            {
                longestStill = Math.Max(longestStill, samples[i].Wall - samples[since].Wall);
            }
        }

        double played = samples[^1].Position - samples[0].Position;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{tech} across a 3 s publisher drop: {samples[0].Position - atDrop:F1} s played from the drop to the reconnect, then {played:F1} s in the next 20 s; playhead still at most {longestStill:F1} s after the reconnect; latency then {latency:F2} s");
        _out.WriteLine(line);
        Console.WriteLine(line);

        Assert.True(played > 12, line);
        await page.ScreenshotAsync("after-reconnect");
    }
}
