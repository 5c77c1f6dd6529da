using System.Globalization;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>The in-process ABR ladder on a live ffmpeg publish, read back by ffmpeg, hls.js and dash.js.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class LadderTests : IAsyncLifetime, IClassFixture<LadderTests.Sources>
{
    private readonly Sources _sources;
    private readonly ITestOutputHelper _out;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private GatewayInstance _gateway = null!;

    public LadderTests(ITestOutputHelper output, Sources sources)
    {
        _out = output;
        _sources = sources;
    }

    /// <summary>The 1080p and 720p sources, encoded once for the class (ultrafast, so the machine's cores go to the ladder).</summary>
    public sealed class Sources : IAsyncLifetime
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("rtmpgw-ladder-").FullName;

        public string Full { get; private set; } = "";

        public string Hd { get; private set; } = "";

        public async Task InitializeAsync()
        {
            Full = Path.Combine(_dir, "1080p.flv");
            Hd = Path.Combine(_dir, "720p.flv");
            await Ffmpeg.MakeSourceFileAsync(Full, 20, 1920, 1080);
            await Ffmpeg.MakeSourceFileAsync(Hd, 8, 1280, 720);
        }

        public Task DisposeAsync()
        {
            Directory.Delete(_dir, recursive: true);
            return Task.CompletedTask;
        }
    }

    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync("--Transcoding:Preset", "default");

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _gateway.DisposeAsync();
    }

    private Uri Url(string path) => new(_gateway.HttpBase, path);

    [Fact]
    public async Task Publish1080p_FourAlignedVariants_EachDecodesNearItsBitrate()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishFile(_sources.Full, _gateway.RtmpUrl("live", "ladder")));
        Assert.Equal(0, await publisher.WaitAsync(TimeSpan.FromSeconds(120)));
        await _gateway.Logs.WaitForLineAsync(l => l.Contains("unpublished live/ladder", StringComparison.Ordinal), TimeSpan.FromSeconds(10));

        string multivariant = await _gateway.GetWhenReadyAsync(_http, "/live/ladder/index.m3u8", TimeSpan.FromSeconds(30));
        string[] variants = [.. multivariant.Split('\n').Where(l => l.EndsWith("/index.m3u8", StringComparison.Ordinal) && !l.StartsWith('#'))];
        _out.WriteLine(multivariant);
        Assert.Equal(["source/index.m3u8", "720p/index.m3u8", "480p/index.m3u8", "360p/index.m3u8"], variants);
        Assert.Contains("RESOLUTION=1280x720", multivariant, StringComparison.Ordinal);
        Assert.Contains("RESOLUTION=640x360", multivariant, StringComparison.Ordinal);

        // Every variant, rungs included, at the source's 30 fps (the rungs once said 90000, their time base).
        string[] frameRates = [.. multivariant.Split('\n').Where(l => l.StartsWith("#EXT-X-STREAM-INF:", StringComparison.Ordinal))
            .Select(l => l.Split(',').Single(a => a.StartsWith("FRAME-RATE=", StringComparison.Ordinal)))];
        Assert.Equal(Enumerable.Repeat("FRAME-RATE=30.000", 4), frameRates);
        string mpd = await _http.GetStringAsync(Url("/live/ladder/manifest.mpd"));
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Count(mpd, "frameRate=\"30\""));
        Assert.DoesNotContain("90000\"", mpd.Replace("timescale=\"90000\"", "", StringComparison.Ordinal), StringComparison.Ordinal);

        // Wait for the rungs to flush their last segments (they run behind the source).
        await Task.Delay(TimeSpan.FromSeconds(3));
        var starts = new Dictionary<string, long[]>();
        foreach (string variant in variants)
        {
            string rendition = variant.Split('/')[0];
            string playlist = await _http.GetStringAsync(Url($"/live/ladder/{rendition}/index.m3u8"));
            Assert.Contains("#EXT-X-ENDLIST", playlist, StringComparison.Ordinal);
            string[] segments = [.. playlist.Split('\n').Where(l => l.StartsWith("seg-", StringComparison.Ordinal))];
            var tfdts = new List<long>();
            long bytes = 0;
            double seconds = 0;
            foreach (string segment in segments)
            {
                byte[] data = await _http.GetByteArrayAsync(Url($"/live/ladder/{rendition}/{segment}"));
                tfdts.Add(Mp4Boxes.BaseMediaDecodeTime(data));
                Assert.Contains(5, Mp4Boxes.FirstSampleNalTypes(data)); // an IDR starts every segment
                bytes += data.Length;
            }

            seconds = playlist.Split('\n').Where(l => l.StartsWith("#EXTINF:", StringComparison.Ordinal))
                .Sum(l => double.Parse(l[8..].TrimEnd(','), CultureInfo.InvariantCulture));
            starts[rendition] = [.. tfdts];
            double kbps = bytes * 8 / seconds / 1000;
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rendition}: {segments.Length} segments, {kbps:F0} kbps"));
            double? target = rendition switch { "720p" => 2800, "480p" => 1400, "360p" => 800, _ => null };
            if (target is { } t)
            {
                Assert.InRange(kbps, t * 0.75, t * 1.25);
            }

            await AssertDecodesAsync($"/live/ladder/{rendition}/index.m3u8");
        }

        // Every variant: the same segments at the same decode times.
        foreach ((string rendition, long[] tfdt) in starts)
        {
            Assert.True(tfdt.SequenceEqual(starts["source"]), $"{rendition} starts {string.Join(",", tfdt)} vs source {string.Join(",", starts["source"])}");
        }
    }

    [Fact]
    public async Task Publish720p_DefaultPreset_HasNo1080pRung()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishFile(_sources.Hd, _gateway.RtmpUrl("live", "small")));
        string multivariant = await _gateway.GetWhenReadyAsync(_http, "/live/small/index.m3u8", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(5));
        multivariant = await _http.GetStringAsync(Url("/live/small/index.m3u8"));
        Assert.DoesNotContain("1920x1080", multivariant, StringComparison.Ordinal);
        Assert.Contains("RESOLUTION=1280x720", multivariant, StringComparison.Ordinal);
        Assert.Contains("360p/index.m3u8", multivariant, StringComparison.Ordinal);
        Assert.Equal(0, await publisher.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task PlayerPage_Ladder_HlsJsSwitchesLevelsAndDashJsListsAllRepresentations()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishFile(_sources.Full, _gateway.RtmpUrl("live", "abrplay")));
        await _gateway.GetWhenReadyAsync(_http, "/live/abrplay/360p/index.m3u8", TimeSpan.FromSeconds(30));
        await using Browser browser = await Browser.LaunchAsync();

        BrowserPage hls = await browser.OpenAsync(new Uri(_gateway.HttpBase, "/?stream=abrplay&tech=hls"), "ladder-hls");
        await hls.WaitForAsync(PlayerPageProbe.StartedOrFailed, TimeSpan.FromSeconds(30), PlayerPageProbe.State);
        await PlayerPageProbe.AssertNoErrorAsync(hls);
        Assert.Equal(4, await hls.EvaluateAsync<int>("gatewayPlayer.levels.length"));
        int playing = await hls.EvaluateAsync<int>("video.videoWidth");
        int other = await hls.EvaluateAsync<int>($"gatewayPlayer.levels.findIndex(l => l.width !== {playing} && l.width <= 854)");
        Assert.True(await hls.EvaluateAsync<bool>($"gatewayPlayer.setLevel({other})"));
        await hls.WaitForAsync($"gatewayPlayer.error !== null || video.videoWidth === gatewayPlayer.levels[{other}].width", TimeSpan.FromSeconds(20), PlayerPageProbe.State);
        await PlayerPageProbe.AssertNoErrorAsync(hls);
        await hls.Page.CloseAsync();

        BrowserPage dash = await browser.OpenAsync(new Uri(_gateway.HttpBase, "/?stream=abrplay&tech=dash"), "ladder-dash");
        await dash.WaitForAsync(PlayerPageProbe.StartedOrFailed, TimeSpan.FromSeconds(30), PlayerPageProbe.State);
        await PlayerPageProbe.AssertNoErrorAsync(dash);
        Assert.Equal(4, await dash.EvaluateAsync<int>("gatewayPlayer.levels.length"));
        double start = await dash.EvaluateAsync<double>("video.currentTime");
        await dash.WaitForAsync($"gatewayPlayer.error !== null || video.currentTime >= {start + 3}", TimeSpan.FromSeconds(20), PlayerPageProbe.State);
        await PlayerPageProbe.AssertNoErrorAsync(dash);
        await dash.Page.CloseAsync();
    }

    private async Task AssertDecodesAsync(string path)
    {
        await using ToolProcess reader = await ToolProcess.RunAsync(
            TimeSpan.FromSeconds(120), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-xerror", "-i", Url(path).ToString(), "-f", "null", "-");
        Assert.True(reader.ExitCode == 0 && reader.StdErr.Trim().Length == 0, $"{path}: {reader.StdErr}");
    }
}
