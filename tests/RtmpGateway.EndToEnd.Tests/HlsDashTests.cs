using RtmpGateway.Hub;
using System.Globalization;
using System.Net;
using RtmpGateway.EndToEnd.Tests.Infrastructure;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>A real ffmpeg publish served as HLS and DASH by the real gateway, read back by real ffmpeg.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class HlsDashTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _gateway.DisposeAsync();
    }

    private Uri Url(string path) => new(_gateway.HttpBase, path);

    [Fact]
    public async Task Publish20s720p_HlsAndDashDecodeLiveAndAfterTheEnd()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishTestSource(_gateway.RtmpUrl("live", "abr"), null, seconds: 20));

        // The multivariant playlist comes with the sequence headers (how soon is bench scenario 2).
        string multivariant = await _gateway.GetWhenReadyAsync(_http, "/live/abr/index.m3u8", TimeSpan.FromSeconds(10));
        Assert.Contains("CODECS=\"avc1.64001f,mp4a.40.2\"", multivariant, StringComparison.Ordinal);
        Assert.Contains("RESOLUTION=1280x720", multivariant, StringComparison.Ordinal);

        // Live: each manifest read by ffmpeg while the publish goes on.
        await Task.Delay(TimeSpan.FromSeconds(5));
        await AssertDecodesAsync("/live/abr/index.m3u8", seconds: 5);
        await AssertDecodesAsync("/live/abr/manifest.mpd", seconds: 5);

        Assert.Equal(0, await publisher.WaitAsync(TimeSpan.FromSeconds(60)));
        await _gateway.Logs.WaitForLineAsync(l => l.Contains("unpublished live/abr", StringComparison.Ordinal), TimeSpan.FromSeconds(10));

        // Ended: ENDLIST, a static MPD, and both still play to their end.
        string media = await _http.GetStringAsync(Url("/live/abr/source/index.m3u8"));
        Assert.EndsWith("#EXT-X-ENDLIST\n", media, StringComparison.Ordinal);
        Assert.EndsWith("#EXT-X-ENDLIST\n", await _http.GetStringAsync(Url("/live/abr/audio/index.m3u8")), StringComparison.Ordinal);
        string mpd = await _http.GetStringAsync(Url("/live/abr/manifest.mpd"));
        Assert.Contains("type=\"static\"", mpd, StringComparison.Ordinal);
        await AssertDecodesAsync("/live/abr/index.m3u8", seconds: null);
        await AssertDecodesAsync("/live/abr/manifest.mpd", seconds: null);
    }

    [Fact]
    public async Task Http_ContentTypesCachingCorsAndUnknownStreams()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishTestSource(_gateway.RtmpUrl("live", "headers"), null, seconds: 8, width: 320, height: 240));
        string media = await _gateway.GetWhenReadyAsync(_http, "/live/headers/source/index.m3u8", TimeSpan.FromSeconds(15));
        string init = media.Split('\n').Single(l => l.StartsWith("#EXT-X-MAP:", StringComparison.Ordinal)).Split('"')[1];
        string segment = media.Split('\n').First(l => l.EndsWith(".m4s", StringComparison.Ordinal));

        var expectations = new (string Path, string Type, string Cache)[]
        {
            ("/live/headers/index.m3u8", "application/vnd.apple.mpegurl", "public, max-age=1"),
            ("/live/headers/source/index.m3u8", "application/vnd.apple.mpegurl", "public, max-age=1"),
            ("/live/headers/manifest.mpd", "application/dash+xml", "public, max-age=1"),
            ($"/live/headers/source/{init}", "video/mp4", "public, max-age=31536000, immutable"),
            ($"/live/headers/source/{segment}", "video/iso.segment", "public, max-age=31536000, immutable"),
        };
        foreach ((string path, string type, string cache) in expectations)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Url(path));
            request.Headers.Add("Origin", "http://player.example");
            using HttpResponseMessage response = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(cache, response.Headers.CacheControl?.ToString());
            Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        byte[] initBytes = await _http.GetByteArrayAsync(Url($"/live/headers/source/{init}"));
        Assert.Equal("ftyp"u8.ToArray(), initBytes[4..8]);
        byte[] segmentBytes = await _http.GetByteArrayAsync(Url($"/live/headers/source/{segment}"));
        Assert.Equal("styp"u8.ToArray(), segmentBytes[4..8]);

        foreach (string path in (string[])["/live/nosuch/index.m3u8", "/live/nosuch/manifest.mpd", "/live/headers/nosuch/index.m3u8", "/live/headers/source/seg-00000000-1.m4s", "/live/headers/source/..%2F..%2Fetc%2Fpasswd"])
        {
            using HttpResponseMessage response = await _http.GetAsync(Url(path));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("audio-only", "-vn", "mp4a.40.2", "avc1")]
    [InlineData("video-only", "-an", "avc1.64000d", "mp4a")]
    public async Task Publish_SingleTrack_PlaylistsAdvertiseOnlyThatTrackAndDecode(string name, string drop, string codec, string absent)
    {
        string[] args = [.. Ffmpeg.PublishTestSource(_gateway.RtmpUrl("live", name), null, seconds: 7, width: 320, height: 240)];
        int map = Array.IndexOf(args, drop == "-vn" ? "0:v" : "1:a");
        args = [.. args[..(map - 1)], .. args[(map + 1)..]];
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", args);
        Assert.Equal(0, await publisher.WaitAsync(TimeSpan.FromSeconds(60)));

        string multivariant = await _http.GetStringAsync(Url($"/live/{name}/index.m3u8"));
        Assert.Contains(codec, multivariant, StringComparison.Ordinal);
        Assert.DoesNotContain(absent, multivariant, StringComparison.Ordinal);
        string mpd = await _http.GetStringAsync(Url($"/live/{name}/manifest.mpd"));
        Assert.DoesNotContain(drop == "-vn" ? "contentType=\"video\"" : "contentType=\"audio\"", mpd, StringComparison.Ordinal);
        await AssertDecodesAsync($"/live/{name}/index.m3u8", seconds: null);
        await AssertDecodesAsync($"/live/{name}/manifest.mpd", seconds: null);
    }

    [Fact]
    public async Task Publish_VideoBeforeItsSequenceHeader_IsPackagedFromTheFirstKeyframeAfterIt()
    {
        string dir = Directory.CreateTempSubdirectory("rtmpgw-early-").FullName;
        try
        {
            string flv = Path.Combine(dir, "src.flv");
            await using (ToolProcess make = await ToolProcess.RunAsync(
                TimeSpan.FromSeconds(60), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
                "-f", "lavfi", "-i", "sine", "-t", "6", "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-c:a", "aac", "-f", "flv", flv))
            {
                Assert.Equal(0, make.ExitCode);
            }

            List<FlvFile.Tag> tags = FlvFile.Read(flv).Where(t => t.Type is Rtmp.Messages.RtmpMessageType.Audio or Rtmp.Messages.RtmpMessageType.Video).ToList();
            FlvFile.Tag header = tags.Single(t => t.IsVideoSequenceHeader);
            List<FlvFile.Tag> early = [.. tags.Where(t => t.Type == Rtmp.Messages.RtmpMessageType.Video && !t.IsVideoSequenceHeader).Take(10)];

            // Ten video frames (a keyframe among them) before the sequence header, then everything in order.
            await using RawRtmpClient publisher = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
            Assert.Equal("NetStream.Publish.Start", await publisher.PublishAsync("early"));
            foreach (FlvFile.Tag t in early)
            {
                await publisher.SendMessageAsync(6, t.Type, publisher.StreamId, t.Timestamp, t.Body);
            }

            foreach (FlvFile.Tag t in tags.Where(t => !early.Contains(t)))
            {
                await publisher.SendMessageAsync(t.Type == Rtmp.Messages.RtmpMessageType.Video ? 6 : 4, t.Type, publisher.StreamId, t.Timestamp, t.Body);
            }

            StreamPublisher ingest = (await _gateway.WaitForStreamAsync("live", "early", TimeSpan.FromSeconds(5))).Publisher!;
            await publisher.SendCommandAsync(publisher.StreamId, "deleteStream", 0, null, (double)publisher.StreamId);
            await _gateway.Logs.WaitForLineAsync(l => l.Contains("unpublished live/early", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
            Assert.Equal(10, ingest.DroppedBeforeConfig);

            string media = await _http.GetStringAsync(Url("/live/early/source/index.m3u8"));
            Assert.Contains("#EXT-X-ENDLIST", media, StringComparison.Ordinal);
            await AssertDecodesAsync("/live/early/index.m3u8", seconds: null);
            await AssertDecodesAsync("/live/early/manifest.mpd", seconds: null);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>ffmpeg reads the manifest (for a while, or to its end) without an error; video timestamps have no gap over one frame.</summary>
    private async Task AssertDecodesAsync(string path, int? seconds)
    {
        string[] duration = seconds is { } s ? ["-t", s.ToString(CultureInfo.InvariantCulture)] : [];
        await using ToolProcess reader = await ToolProcess.RunAsync(
            TimeSpan.FromSeconds(90), "ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-xerror", "-i", Url(path).ToString(), .. duration, "-f", "framemd5", "-"]);
        Assert.True(reader.ExitCode == 0, $"{path}: {reader.StdErr}");
        Assert.True(reader.StdErr.Trim().Length == 0, $"{path}: {reader.StdErr}");

        string[] lines = reader.StdOut.Split('\n');
        string[] timebases = [.. lines.Where(l => l.StartsWith("#tb ", StringComparison.Ordinal))];
        Assert.NotEmpty(timebases);
        foreach (string tb in timebases)
        {
            // "#tb 0: 1/30": per output stream; check every video stream's pts steps.
            string index = tb[4..tb.IndexOf(':', StringComparison.Ordinal)];
            string[] frames = [.. lines.Where(l => l.StartsWith(index + ",", StringComparison.Ordinal))];
            Assert.True(frames.Length > 10, $"{path}: stream {index} has {frames.Length} frames");
            string type = lines.FirstOrDefault(l => l.StartsWith("#media_type " + index, StringComparison.Ordinal)) ?? "";
            if (!type.Contains("video", StringComparison.Ordinal))
            {
                continue;
            }

            long[] pts = [.. frames.Select(f => long.Parse(f.Split(',')[2].Trim(), CultureInfo.InvariantCulture))];
            long[] durations = [.. frames.Select(f => long.Parse(f.Split(',')[3].Trim(), CultureInfo.InvariantCulture))];
            for (int i = 1; i < pts.Length; i++)
            {
                Assert.True(pts[i] - pts[i - 1] <= durations[i - 1], $"{path}: video gap from pts {pts[i - 1]} to {pts[i]} (frame {i})");
            }
        }
    }
}
