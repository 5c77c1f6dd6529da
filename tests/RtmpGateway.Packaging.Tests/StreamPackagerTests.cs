using RtmpGateway.Media;
using RtmpGateway.Packaging.Live;

namespace RtmpGateway.Packaging.Tests;

/// <summary>Where the packager cuts segments and parts, and what it keeps.</summary>
public class StreamPackagerTests
{
    // avcC of an ffmpeg/x264 1280x720 High@3.1 30 fps stream (ffprobe -show_data of its extradata).
    internal static readonly CodecConfig Video = CodecConfig.FromAvcRecord(Convert.FromHexString(
        "0164001fffe1001a6764001facd9405005bb0110000003001000000303c0f183196001000468ef8fcbfdf8f800"));

    // AudioSpecificConfig 0x12 0x10: AAC LC, 44100 Hz, stereo.
    internal static readonly CodecConfig Audio = CodecConfig.FromAudioSpecificConfig([0x12, 0x10]);

    internal static readonly DateTimeOffset Wall = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static readonly byte[] Frame = [0, 0, 0, 2, 0x65, 0x88];

    /// <summary>Feeds video at 30 fps (keyframe every <paramref name="gop"/> frames) and AAC frames in DTS order.</summary>
    /// <summary>
    /// 30 fps video and 44.1 kHz AAC, interleaved by time as publishers send them; <paramref name="audioLead"/>
    /// sends each audio frame that many seconds early, as ffmpeg's FLV muxer and encoders often do.
    /// </summary>
    /// <summary>Two-second segments, for tests written around them (the default target is 1 s).</summary>
    internal static PackagingOptions TwoSecondSegments() => new() { SegmentTarget = TimeSpan.FromSeconds(2), PlaylistSegments = 6, RetainedSegments = 9 };

    internal static StreamPackager Feed(double seconds, int gop = 60, bool video = true, bool audio = true, PackagingOptions? options = null, bool end = true, double audioLead = 0)
    {
        var output = new StreamOutput("live", "test", "s1", Wall);
        var packager = new StreamPackager(output, options ?? new PackagingOptions());
        if (video)
        {
            packager.OnCodecConfig(Video);
        }

        if (audio)
        {
            packager.OnCodecConfig(Audio);
        }

        int frames = (int)(seconds * 30);
        int audioFrames = (int)(seconds * 44100 / 1024);
        int v = 0;
        int a = 0;
        while ((video && v < frames) || (audio && a < audioFrames))
        {
            double vt = video && v < frames ? v / 30.0 : double.MaxValue;
            double at = audio && a < audioFrames ? a * 1024 / 44100.0 : double.MaxValue;
            if (vt <= at - audioLead)
            {
                long dts = v * 3000L;
                packager.OnAccessUnit(new AccessUnit(Video, dts, dts + 6000, v % gop == 0, Frame), Wall.AddSeconds(vt));
                v++;
            }
            else
            {
                long dts = a * 1024L;
                packager.OnAccessUnit(new AccessUnit(Audio, dts, dts, true, Frame), Wall.AddSeconds(at));
                a++;
            }
        }

        if (end)
        {
            packager.End(Wall.AddSeconds(seconds));
        }

        return packager;
    }

    [Fact]
    public void OnAccessUnit_Gop2s_CutsTwoSecondSegmentsAtKeyframes()
    {
        StreamOutput output = Feed(10).Output;
        TrackSnapshot video = output.Find("source")!;

        Assert.Equal([1L, 2, 3, 4, 5], video.Segments.Select(s => s.Sequence));
        Assert.All(video.Segments, s => Assert.Equal(180_000, s.Duration));
        Assert.All(video.Segments, s => Assert.True(s.Independent));
        Assert.Equal([0L, 180_000, 360_000, 540_000, 720_000], video.Segments.Select(s => s.Start));
        Assert.True(video.Ended);
        Assert.Equal(2, video.TargetDurationSeconds);
    }

    [Fact]
    public void OnAccessUnit_Parts_AreHalfSecondAndOnlyTheFirstIsIndependent()
    {
        TrackSnapshot video = Feed(4).Output.Find("source")!;
        CmafSegment first = video.Segments[0];

        Assert.Equal(4, first.Parts.Count);
        Assert.All(first.Parts, p => Assert.Equal(45_000, p.Duration));
        Assert.Equal([true, false, false, false], first.Parts.Select(p => p.Independent));
        Assert.Equal(first.Duration, first.Parts.Sum(p => p.Duration));
    }

    [Fact]
    public void OnAccessUnit_AudioFollowsVideoBoundaries_SameSequencesNoGaps()
    {
        StreamOutput output = Feed(10).Output;
        TrackSnapshot video = output.Find("source")!;
        TrackSnapshot audio = output.Find("audio")!;

        Assert.Equal(video.Segments.Select(s => s.Sequence), audio.Segments.Select(s => s.Sequence));
        for (int i = 0; i < audio.Segments.Count; i++)
        {
            // Each audio segment starts at the first AAC frame at or after the video segment's start.
            double videoStart = video.Segments[i].Start / 90_000.0;
            double audioStart = audio.Segments[i].Start / 44_100.0;
            Assert.InRange(audioStart - videoStart, 0, 1024 / 44_100.0);
            if (i > 0)
            {
                Assert.Equal(audio.Segments[i - 1].Start + audio.Segments[i - 1].Duration, audio.Segments[i].Start);
            }
        }
    }

    [Fact]
    public void OnAccessUnit_RunawayGop_IsCutAtTheMaximumAndReported()
    {
        var options = new PackagingOptions { MaxSegmentDuration = TimeSpan.FromSeconds(3) };
        var output = new StreamOutput("live", "test", "s1", Wall);
        var packager = new StreamPackager(output, options);
        var forced = new List<long>();
        packager.ForcedCut += (_, _, seq) => forced.Add(seq);
        packager.OnCodecConfig(Video);
        for (int v = 0; v < 300; v++)
        {
            // One keyframe at the start, then none for 10 s.
            packager.OnAccessUnit(new AccessUnit(Video, v * 3000L, v * 3000L, v == 0, Frame), Wall.AddSeconds(v / 30.0));
        }

        packager.End(Wall.AddSeconds(10));
        TrackSnapshot video = output.Find("source")!;
        Assert.Equal([1L, 2, 3], forced);
        Assert.All(video.Segments.Take(3), s => Assert.Equal(270_000, s.Duration));
        Assert.Equal([true, false, false, false], video.Segments.Select(s => s.Independent));
    }

    [Fact]
    public void OnAccessUnit_AudioOnly_IsCutByTime()
    {
        TrackSnapshot audio = Feed(7, video: false, options: TwoSecondSegments()).Output.Find("audio")!;
        Assert.Null(Feed(1, video: false).Output.Find("source"));
        Assert.Equal(4, audio.Segments.Count);
        Assert.All(audio.Segments.Take(3), s => Assert.InRange(s.Duration / 44_100.0, 2.0, 2.0 + (1024 / 44_100.0)));
    }

    [Fact]
    public void OnAccessUnit_VideoBeforeFirstKeyframe_IsDropped()
    {
        var output = new StreamOutput("live", "test", "s1", Wall);
        var packager = new StreamPackager(output, new PackagingOptions());
        packager.OnCodecConfig(Video);
        for (int v = 0; v < 90; v++)
        {
            packager.OnAccessUnit(new AccessUnit(Video, v * 3000L, v * 3000L, v == 10, Frame), Wall);
        }

        packager.End(Wall);
        CmafSegment first = output.Find("source")!.Segments[0];
        Assert.Equal(30_000, first.Start);
        Assert.True(first.Independent);
    }

    [Fact]
    public void OnAccessUnit_LongStream_KeepsOnlyTheRetainedWindow()
    {
        // A GOP of 1 s: 60 one-second segments, of which the last RetainedSegments stay.
        TrackSnapshot video = Feed(60, gop: 30, audio: false).Output.Find("source")!;
        Assert.Equal(new PackagingOptions().RetainedSegments, video.Segments.Count);
        Assert.Equal(60, video.Segments[^1].Sequence);
    }

    [Fact]
    public void OnAccessUnit_ProgramDateTime_FollowsMediaTimeFromTheFirstSample()
    {
        TrackSnapshot video = Feed(6).Output.Find("source")!;
        Assert.Equal([Wall, Wall.AddSeconds(2), Wall.AddSeconds(4)], video.Segments.Select(s => s.ProgramDateTime));
    }

    [Fact]
    public void OnAccessUnit_WhileLive_CurrentSegmentGrowsPartByPart()
    {
        TrackSnapshot video = Feed(3.1, audio: false, end: false).Output.Find("source")!;
        Assert.Single(video.Segments);
        Assert.NotNull(video.Current);
        Assert.False(video.Current!.IsComplete);
        Assert.Equal(2, video.Current.Parts.Count);
        Assert.Equal(2L, video.Current.Sequence);
    }
}
