using System.Globalization;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// Publishers whose timeline breaks mid-stream, with media encoded by the real ffmpeg: a clock that
/// jumps an hour ahead (the ffmpeg CLI publishing it), a clock that restarts at zero, a new sequence
/// header with another resolution, an identical sequence header sent again. Read back by real HTTP
/// clients and ffmpeg.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class TimelineFaultTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayInstance.StartAsync("--Packaging:SegmentTarget", "00:00:02", "--Packaging:PlaylistSegments", "12", "--Packaging:RetainedSegments", "12");
        _dir = Directory.CreateTempSubdirectory("rtmpgw-timeline-").FullName;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _gateway.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Uri Url(string path) => new(_gateway.HttpBase, path);

    /// <summary>An ffmpeg-encoded FLV (testsrc2 + sine, x264 without B-frames, GOP 1 s).</summary>
    private async Task<List<FlvFile.Tag>> EncodeAsync(string name, int seconds, int width, int height)
    {
        string path = Path.Combine(_dir, name + ".flv");
        await using ToolProcess make = await ToolProcess.RunAsync(
            TimeSpan.FromSeconds(60), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", seconds.ToString(CultureInfo.InvariantCulture), "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv", path);
        Assert.True(make.ExitCode == 0, make.StdErr);
        return [.. FlvFile.Read(path).Where(t => t.Type is RtmpMessageType.Audio or RtmpMessageType.Video)];
    }

    private static IEnumerable<FlvFile.Tag> Media(IEnumerable<FlvFile.Tag> tags, long shiftMs)
        => tags.Where(t => !t.IsVideoSequenceHeader && !t.IsAudioSequenceHeader).Select(t => t with { Timestamp = (uint)(t.Timestamp + shiftMs) });

    /// <summary>Publishes tags over a bare RTMP connection, then unpublishes (deleteStream) and waits for the end.</summary>
    private async Task PublishRawAsync(string name, IEnumerable<FlvFile.Tag> tags)
    {
        await using RawRtmpClient publisher = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        Assert.Equal("NetStream.Publish.Start", await publisher.PublishAsync(name));
        foreach (FlvFile.Tag t in tags)
        {
            await publisher.SendMessageAsync(t.Type == RtmpMessageType.Video ? 6 : 4, t.Type, publisher.StreamId, t.Timestamp, t.Body);
        }

        await _gateway.WaitForStreamAsync("live", name, TimeSpan.FromSeconds(5));
        await publisher.SendCommandAsync(publisher.StreamId, "deleteStream", 0, null, (double)publisher.StreamId);
        await _gateway.Logs.WaitForLineAsync(l => l.Contains($" unpublished live/{name}:", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }

    private async Task<MediaPlaylist> PlaylistAsync(string name, string rendition = "source")
        => MediaPlaylist.Parse(await _http.GetStringAsync(Url($"/live/{name}/{rendition}/index.m3u8")));

    /// <summary>
    /// 8 s of media in 2 s segments of 2 s, numbered without a gap, no discontinuity, one jump logged,
    /// and ffmpeg decodes it without an error or a gap in the video.
    /// </summary>
    private async Task AssertOneSteadyTimelineAsync(string name)
    {
        foreach (string rendition in (string[])["source", "audio"])
        {
            MediaPlaylist playlist = await PlaylistAsync(name, rendition);
            Assert.True(playlist.Ended, playlist.Text);
            Assert.Equal(2, playlist.TargetDuration);
            Assert.InRange(playlist.Segments.Sum(s => s.Duration), 7.8, 8.2);
            Assert.All(playlist.Segments.SkipLast(1), s => Assert.InRange(s.Duration, 1.9, 2.1));
            Assert.All(playlist.Segments, s => Assert.Equal(s.Sequence, MediaPlaylist.SequenceInUri(s.Uri)));
            Assert.DoesNotContain(playlist.Segments, s => s.Discontinuity);
        }

        Assert.Single(_gateway.Logs.Lines, l => l.Contains($"live/{name}: the publisher's", StringComparison.Ordinal) && l.Contains("clock jumped", StringComparison.Ordinal));
        Assert.DoesNotContain(_gateway.Logs.Lines, l => l.Contains($"live/{name}: non-monotonic", StringComparison.Ordinal));

        await using ToolProcess reader = await ToolProcess.RunAsync(
            TimeSpan.FromSeconds(90), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-xerror", "-i", Url($"/live/{name}/index.m3u8").ToString(), "-map", "0:v", "-f", "framemd5", "-");
        Assert.True(reader.ExitCode == 0 && reader.StdErr.Trim().Length == 0, reader.StdErr);
        long[] pts = [.. reader.StdOut.Split('\n').Where(l => l.StartsWith("0,", StringComparison.Ordinal)).Select(l => long.Parse(l.Split(',')[2].Trim(), CultureInfo.InvariantCulture))];
        Assert.InRange(pts.Length, 235, 245);
        for (int i = 1; i < pts.Length; i++)
        {
            Assert.True(pts[i] - pts[i - 1] is 1 or 2, $"video pts {pts[i - 1]} -> {pts[i]} (frame {i})");
        }
    }

    [Fact]
    public async Task FfmpegPublisher_ClockJumpsAnHourAhead_OneJumpNoLongSegment()
    {
        // 4 s, then the same 4 s stamped an hour later, published by the ffmpeg CLI as it is (-copyts).
        List<FlvFile.Tag> clip = await EncodeAsync("clip", 4, 320, 240);
        string jumped = Path.Combine(_dir, "jumped.flv");
        FlvFile.Write(jumped, [.. clip, .. Media(clip, 4_000 + 3_600_000)]);
        await using (ToolProcess publisher = await ToolProcess.RunAsync(
            TimeSpan.FromSeconds(60), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-copyts", "-i", jumped, "-c", "copy", "-f", "flv", _gateway.RtmpUrl("live", "ahead")))
        {
            Assert.True(publisher.ExitCode == 0, publisher.StdErr);
        }

        await _gateway.Logs.WaitForLineAsync(l => l.Contains(" unpublished live/ahead:", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        await AssertOneSteadyTimelineAsync("ahead");
    }

    [Fact]
    public async Task Publisher_ClockRestartsAtZero_OneJumpTimelineGoesOn()
    {
        // ffmpeg itself clamps a backward step; an encoder restarting its clock sends it as is.
        List<FlvFile.Tag> clip = await EncodeAsync("clip", 4, 320, 240);
        await PublishRawAsync("restart", [.. clip, .. Media(clip, 0)]);
        await AssertOneSteadyTimelineAsync("restart");
    }

    [Fact]
    public async Task Publisher_AudioClockTenSecondsAhead_OneTrackRebasedOnceInSync()
    {
        // An encoder whose audio timestamps run 10 s ahead of its video ones, from the start.
        List<FlvFile.Tag> clip = await EncodeAsync("clip", 8, 320, 240);
        await PublishRawAsync("skew", clip.Select(t => t.Type == RtmpMessageType.Audio && !t.IsAudioSequenceHeader ? t with { Timestamp = t.Timestamp + 10_000 } : t));

        MediaPlaylist video = await PlaylistAsync("skew");
        MediaPlaylist audio = await PlaylistAsync("skew", "audio");
        Assert.Equal(video.Segments.Select(s => s.Sequence), audio.Segments.Select(s => s.Sequence));
        Assert.InRange(audio.Segments.Sum(s => s.Duration), 7.8, 8.2);
        Assert.DoesNotContain(audio.Segments, s => s.Discontinuity);

        // Each audio segment starts with the video segment of its number (within one AAC frame), in decode time.
        foreach ((MediaPlaylist.Segment v, MediaPlaylist.Segment a) in video.Segments.Zip(audio.Segments))
        {
            double videoStart = Mp4Boxes.BaseMediaDecodeTime(await _http.GetByteArrayAsync(Url("/live/skew/source/" + v.Uri))) / 90_000.0;
            double audioStart = Mp4Boxes.BaseMediaDecodeTime(await _http.GetByteArrayAsync(Url("/live/skew/audio/" + a.Uri))) / 44_100.0;
            Assert.InRange(audioStart - videoStart, -0.05, 0.05);
        }

        // The track that disagrees with the clock the stream started on is re-based, once.
        Assert.Single(_gateway.Logs.Lines, l => l.Contains("live/skew: the publisher's", StringComparison.Ordinal) && l.Contains("clock jumped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Publisher_NewResolutionMidStream_OneDiscontinuityAndNewInit_RepeatedHeaderNothing()
    {
        List<FlvFile.Tag> small = await EncodeAsync("small", 4, 320, 240);
        List<FlvFile.Tag> large = await EncodeAsync("large", 4, 640, 360);

        // 320x240 for 4 s, with its (identical) sequence headers sent again at 2 s; then 640x360
        // with its own headers, on the same clock.
        int middle = small.FindIndex(t => t.Timestamp >= 2000);
        List<FlvFile.Tag> tags = [.. small[..middle], .. small.Where(t => t.IsVideoSequenceHeader || t.IsAudioSequenceHeader), .. small[middle..]];
        tags.AddRange(large.Where(t => t.IsVideoSequenceHeader));
        tags.AddRange(large.Where(t => !t.IsVideoSequenceHeader && !t.IsAudioSequenceHeader).Select(t => t with { Timestamp = t.Timestamp + 4_000 }));
        await PublishRawAsync("resize", tags);

        MediaPlaylist video = await PlaylistAsync("resize");
        MediaPlaylist.Segment cut = Assert.Single(video.Segments, s => s.Discontinuity);
        Assert.Equal(3, cut.Sequence);
        Assert.Equal(2, video.Segments.Select(s => s.Map).Distinct().Count());
        Assert.All(video.Segments, s => Assert.Equal(s.Sequence < cut.Sequence ? video.Segments[0].Map : cut.Map, s.Map));
        Assert.Equal(2, video.Text.Split('\n').Count(l => l.StartsWith("#EXT-X-MAP:", StringComparison.Ordinal)));
        Assert.Equal(cut.Sequence, Assert.Single((await PlaylistAsync("resize", "audio")).Segments, s => s.Discontinuity).Sequence);

        // Each half decodes cleanly with the init segment its EXT-X-MAP names, at its own size. (The
        // ffmpeg CLI's HLS reader keeps the first map's parameter sets for the decoder across a map
        // change, so it cannot read both halves in one go; browsers re-initialise at the discontinuity.)
        foreach ((string map, string size, MediaPlaylist.Segment[] segments) in new[]
        {
            (video.Segments[0].Map, "320x240", video.Segments.Where(s => s.Sequence < cut.Sequence).ToArray()),
            (cut.Map, "640x360", video.Segments.Where(s => s.Sequence >= cut.Sequence).ToArray()),
        })
        {
            string file = Path.Combine(_dir, map);
            await using (FileStream half = File.Create(file))
            {
                await half.WriteAsync(await _http.GetByteArrayAsync(Url("/live/resize/source/" + map)));
                foreach (MediaPlaylist.Segment segment in segments)
                {
                    await half.WriteAsync(await _http.GetByteArrayAsync(Url("/live/resize/source/" + segment.Uri)));
                }
            }

            await using ToolProcess probe = await ToolProcess.RunAsync(
                TimeSpan.FromSeconds(30), "ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "frame=width,height", "-of", "csv=p=0:s=x", file);
            Assert.True(probe.StdErr.Trim().Length == 0, probe.StdErr);
            string[] frames = [.. probe.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            Assert.InRange(frames.Length, 115, 125);
            Assert.All(frames, f => Assert.Equal(size, f.TrimEnd('x'))); // csv may end a frame's line with an empty side-data field
        }

        string mpd = await _http.GetStringAsync(Url("/live/resize/manifest.mpd"));
        Assert.Equal(2, mpd.Split("<Period ").Length - 1);
        Assert.Contains("width=\"320\" height=\"240\"", mpd, StringComparison.Ordinal);
        Assert.Contains("width=\"640\" height=\"360\"", mpd, StringComparison.Ordinal);
    }
}
