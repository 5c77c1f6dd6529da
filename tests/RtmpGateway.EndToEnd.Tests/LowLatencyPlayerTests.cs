using System.Globalization;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// Low-latency players in Chromium against a live ffmpeg publish (30 fps, GOP 1 s, zerolatency): they
/// play 20 s without a stall over 1 s, and the test prints the latency a viewer gets: wall clock now
/// minus the program date-time of the frame on screen. Latency figures belong to bench/; here they
/// are printed, not asserted.
/// </summary>
[Trait("Category", "E2E")]
[Collection(EndToEndCollection.Name)]
public sealed class LowLatencyPlayerTests : IAsyncLifetime
{
    private readonly ITestOutputHelper _out;
    private GatewayInstance _gateway = null!;
    private Browser _browser = null!;

    public LowLatencyPlayerTests(ITestOutputHelper output)
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
    public async Task LowLatencyPlayer_Plays20sWithoutLongStalls_PrintsLatency(string tech)
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", "ll"), seconds: 40));
        await _gateway.WaitForStreamAsync("live", "ll", TimeSpan.FromSeconds(20));

        BrowserPage page = await _browser.OpenAsync(new Uri(_gateway.HttpBase, $"/?stream=ll&tech={tech}&ll=1"), "ll-" + tech);
        await page.WaitForAsync(PlayerPageProbe.StartedOrFailed, TimeSpan.FromSeconds(30), PlayerPageProbe.State);
        Assert.Null(await page.EvaluateAsync<string?>("gatewayPlayer.error"));
        Assert.True(await page.EvaluateAsync<bool>(PlayerPageProbe.TrackStalls));

        var latencies = new List<double>();
        double start = await page.EvaluateAsync<double>("video.currentTime");
        for (int second = 0; second < 20; second++)
        {
            await Task.Delay(1000);
            double? latency = await page.EvaluateAsync<double?>("gatewayPlayer.playingDate() ? (Date.now() - gatewayPlayer.playingDate().getTime()) / 1000 : null");
            if (latency is { } l)
            {
                latencies.Add(l);
            }
        }

        if (await page.EvaluateAsync<string?>("gatewayPlayer.error") is { } error)
        {
            await page.FailAsync("fatal player error: " + error, PlayerPageProbe.State);
        }

        double played = await page.EvaluateAsync<double>("video.currentTime") - start;
        double[] stalls = await page.EvaluateAsync<double[]>(PlayerPageProbe.Stalls);
        Assert.True(played > 17, $"played {played:F1} s in 20 s");
        Assert.True(stalls.All(s => s < 1000), $"stalls (ms): {string.Join(", ", stalls.Select(s => s.ToString("F0", CultureInfo.InvariantCulture)))}");
        Assert.NotEmpty(latencies);

        latencies.Sort();
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{tech} low latency: median {latencies[latencies.Count / 2]:F2} s, p95 {latencies[(int)(latencies.Count * 0.95)]:F2} s, min {latencies[0]:F2} s over {latencies.Count} samples; {stalls.Length} stalls");
        _out.WriteLine(line);
        Console.WriteLine(line);
        await page.ScreenshotAsync("playing");
    }
}
