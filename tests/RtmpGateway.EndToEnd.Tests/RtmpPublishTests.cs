using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Media;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>Real ffmpeg publishers and players against the real gateway on loopback.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class RtmpPublishTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;
    private readonly string _dir = Directory.CreateTempSubdirectory("rtmpgw-e2e-").FullName;

    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync();

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Publish_Ffmpeg10s720p_ServerReceivesExactlyWhatFfmpegSent()
    {
        var recorder = StreamRecorder.AttachOnPublish(_gateway.Hub, "live", "e2e720");
        string copy = Path.Combine(_dir, "sent.flv");

        await using ToolProcess ffmpeg = await ToolProcess.RunAsync(
            TimeSpan.FromSeconds(90), "ffmpeg", Ffmpeg.PublishTestSource(_gateway.RtmpUrl("live", "e2e720"), copy, seconds: 10));
        Assert.True(ffmpeg.ExitCode == 0, ffmpeg.StdErr);
        await recorder.Ended.WaitAsync(TimeSpan.FromSeconds(10));

        List<Ffmpeg.ProbedStream> sent = await Ffmpeg.ProbeAsync(copy);
        Ffmpeg.ProbedStream sentVideo = sent.Single(s => s.CodecType == "video");
        Ffmpeg.ProbedStream sentAudio = sent.Single(s => s.CodecType == "audio");
        AccessUnit[] video = [.. recorder.Units.Where(u => u.Kind == MediaKind.Video)];
        AccessUnit[] audio = [.. recorder.Units.Where(u => u.Kind == MediaKind.Audio)];

        Assert.Equal(300, sentVideo.Packets);
        Assert.Equal(sentVideo.Packets, video.Length);
        Assert.Equal(sentAudio.Packets, audio.Length);

        CodecConfig videoConfig = recorder.Configs.Single(c => c.Kind == MediaKind.Video);
        CodecConfig audioConfig = recorder.Configs.Single(c => c.Kind == MediaKind.Audio);
        Assert.Equal(sentVideo.Extradata, videoConfig.Record.ToArray());
        Assert.Equal(sentAudio.Extradata, audioConfig.Record.ToArray());
        Assert.Equal((1280, 720), (videoConfig.Width, videoConfig.Height));
        Assert.Equal(44100, audioConfig.SampleRate);
        Assert.StartsWith("avc1.64", videoConfig.CodecString, StringComparison.Ordinal);

        AssertMonotonicDts(video);
        AssertMonotonicDts(audio);
        Assert.True(video[0].IsKeyframe);
        Assert.Equal(5, video.Count(v => v.IsKeyframe));
        Assert.Contains(video, v => v.Pts != v.Dts); // x264's B-frames: composition time offsets were applied

        await _gateway.Logs.WaitForLineAsync(l => l.Contains("unpublished live/e2e720", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Play_FfmpegWatchesLiveStream_DecodesFramesWithoutErrors()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishTestSource(_gateway.RtmpUrl("live", "watched"), null, seconds: 12, width: 640, height: 360));
        await _gateway.WaitForStreamAsync("live", "watched", TimeSpan.FromSeconds(20));
        await Task.Delay(2500); // let a GOP build up so the viewer starts from the cache

        await using ToolProcess player = await ToolProcess.RunAsync(
            TimeSpan.FromSeconds(60), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-xerror",
            "-i", _gateway.RtmpUrl("live", "watched"), "-t", "4", "-map", "0:v", "-map", "0:a", "-f", "framemd5", "-");

        Assert.True(player.ExitCode == 0, player.StdErr);
        Assert.Equal("", player.StdErr.Trim());
        string[] frames = [.. player.StdOut.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#'))];
        int videoFrames = frames.Count(l => l.StartsWith("0,", StringComparison.Ordinal));
        int audioFrames = frames.Count(l => l.StartsWith("1,", StringComparison.Ordinal));
        Assert.InRange(videoFrames, 100, 130); // 4 s at 30 fps
        Assert.True(audioFrames > 100, $"{audioFrames} audio frames");
        await _gateway.Logs.WaitForLineAsync(l => l.Contains("playing live/watched", StringComparison.Ordinal), TimeSpan.FromSeconds(1));
        Assert.Equal(0, await publisher.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Publish_TimestampsCrossTheWrap_UnwrappedTimeKeepsRising()
    {
        var recorder = StreamRecorder.AttachOnPublish(_gateway.Hub, "live", "wrap");

        // FFmpeg's FLV muxer writes 31 bits of timestamp, so its RTMP timestamps wrap at 2^31 ms;
        // an offset 3 s short of that puts the wrap in the middle of the 6 s publish.
        const double wrapSeconds = 2147483.648;
        string offset = (wrapSeconds - 3).ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        await using ToolProcess ffmpeg = await ToolProcess.RunAsync(
            TimeSpan.FromSeconds(60), "ffmpeg", Ffmpeg.PublishTestSource(_gateway.RtmpUrl("live", "wrap"), null, seconds: 6, width: 320, height: 240, fps: 30, "-output_ts_offset", offset));
        Assert.True(ffmpeg.ExitCode == 0, ffmpeg.StdErr);
        await recorder.Ended.WaitAsync(TimeSpan.FromSeconds(10));

        AccessUnit[] video = [.. recorder.Units.Where(u => u.Kind == MediaKind.Video)];
        Assert.Equal(180, video.Length);
        AssertMonotonicDts(video);
        long firstMs = video[0].Dts / 90;
        long lastMs = video[^1].Dts / 90;
        Assert.True(firstMs < (1L << 31) && lastMs > (1L << 31), $"first {firstMs} ms, last {lastMs} ms: the wrap was not crossed");
        Assert.InRange(lastMs - firstMs, 5800, 6100);
        Assert.DoesNotContain(_gateway.Logs.Lines, l => l.Contains("clamped", StringComparison.Ordinal));
    }

    private static void AssertMonotonicDts(AccessUnit[] units)
    {
        for (int i = 1; i < units.Length; i++)
        {
            Assert.True(units[i].Dts > units[i - 1].Dts, $"DTS {units[i].Dts} after {units[i - 1].Dts} at {i}");
        }
    }
}
