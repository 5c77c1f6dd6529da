using System.Runtime.CompilerServices;
using RtmpGateway.Hub;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Live;
using RtmpGateway.Packaging.Manifests;

namespace RtmpGateway.Packaging.Tests;

/// <summary>
/// One output across publisher reconnects and codec config changes: sequence numbers go on, the
/// timeline keeps increasing, HLS gets EXT-X-DISCONTINUITY and DASH a new Period, exactly once each.
/// </summary>
public class ContinuityTests
{
    // avcC of an ffmpeg/x264 640x360 High@3.0 stream (ffprobe -show_data of its extradata).
    internal static readonly CodecConfig Video360 = CodecConfig.FromAvcRecord(Convert.FromHexString(
        "0164001effe1001a6764001eacd940a02ff970110000030001000003003c0f162d9601000468ef8fcbfdf8f800"));

    private static readonly byte[] Frame = [0, 0, 0, 2, 0x65, 0x88];
    private static readonly DateTimeOffset Wall = StreamPackagerTests.Wall;

    /// <summary>
    /// One publisher's media: video at 30 fps (keyframe every second) and AAC in DTS order, timestamps
    /// from <paramref name="firstDtsSeconds"/>, received in real time from <paramref name="wallStart"/>.
    /// </summary>
    private static void Publish(StreamPackager packager, DateTimeOffset wallStart, double seconds, double firstDtsSeconds = 0, CodecConfig? video = null, bool audio = true)
    {
        CodecConfig v = video ?? StreamPackagerTests.Video;
        packager.OnCodecConfig(v);
        if (audio)
        {
            packager.OnCodecConfig(StreamPackagerTests.Audio);
        }

        int frames = (int)Math.Round(seconds * 30);
        int audioFrames = audio ? (int)(seconds * 44100 / 1024) : 0;
        int vi = 0;
        int ai = 0;
        while (vi < frames || ai < audioFrames)
        {
            double vt = vi < frames ? vi / 30.0 : double.MaxValue;
            double at = ai < audioFrames ? ai * 1024 / 44100.0 : double.MaxValue;
            if (vt <= at)
            {
                long dts = (long)Math.Round((firstDtsSeconds * 90_000) + (vi * 3000L));
                Feed(packager, new AccessUnit(v, dts, dts, vi % 30 == 0, Frame), wallStart.AddSeconds(vt));
                vi++;
            }
            else
            {
                long dts = (long)Math.Round(firstDtsSeconds * 44_100) + (ai * 1024L);
                Feed(packager, new AccessUnit(StreamPackagerTests.Audio, dts, dts, true, Frame), wallStart.AddSeconds(at));
                ai++;
            }
        }
    }

    /// <summary>Each packager's timeline across publishes, as the hub keeps it in front of the packager.</summary>
    private static readonly ConditionalWeakTable<StreamPackager, TimelineRemap> Timelines = [];

    /// <summary>A unit as the hub hands it to the packager: on the stream's timeline. Returns it so mapped.</summary>
    private static AccessUnit Feed(StreamPackager packager, AccessUnit unit, DateTimeOffset receivedAt)
    {
        AccessUnit mapped = Timelines.GetOrCreateValue(packager).Map(unit.Kind == MediaKind.Video ? "source" : "audio", unit, receivedAt);
        packager.OnAccessUnit(mapped, receivedAt);
        return mapped;
    }

    /// <summary>A publisher back: the hub maps its first frame anew, the packager continues after a discontinuity.</summary>
    private static int Resume(StreamPackager packager, DateTimeOffset now)
    {
        Timelines.GetOrCreateValue(packager).Resume();
        return packager.Resume(now);
    }

    private static StreamPackager NewPackager(PackagingOptions? options = null)
        => new(new StreamOutput("live", "test", "s1", Wall), options ?? StreamPackagerTests.TwoSecondSegments());

    private static string[] Lines(StreamOutput output, string rendition, PackagingOptions? options = null, bool skip = false)
        => HlsPlaylistWriter.Media(output, output.Find(rendition)!, options ?? StreamPackagerTests.TwoSecondSegments(), skip).Split('\n');

    [Fact]
    public void Suspend_FlushesTheSegmentInProductionAndStaysLive()
    {
        StreamPackager packager = NewPackager();
        Publish(packager, Wall, 3.1);
        Assert.NotNull(packager.Output.Find("source")!.Current);

        packager.Suspend(Wall.AddSeconds(3.2));

        TrackSnapshot video = packager.Output.Find("source")!;
        Assert.Null(video.Current);
        Assert.Equal([1L, 2], video.Segments.Select(s => s.Sequence));
        Assert.All(video.Segments, s => Assert.True(s.IsComplete));
        Assert.Equal(93 * 3000, video.Segments[^1].Start + video.Segments[^1].Duration); // 93 frames, the last with its nominal duration
        Assert.False(video.Ended);
        Assert.DoesNotContain("#EXT-X-ENDLIST", Lines(packager.Output, "source"));
        Assert.Contains("type=\"dynamic\"", DashManifestWriter.Write(packager.Output, StreamPackagerTests.TwoSecondSegments(), Wall.AddSeconds(4), "http://x/api/time"), StringComparison.Ordinal);
        Assert.Equal(Wall.AddSeconds(3.2), packager.Output.SuspendedAt);
    }

    [Fact]
    public void Resume_AfterFourSeconds_SequenceNumbersGoOnAndTheTimelineFollowsTheWallClock()
    {
        StreamPackager packager = NewPackager();
        Publish(packager, Wall, 6);
        packager.Suspend(Wall.AddSeconds(6));

        // The new publisher's clock starts at 0 again, 10 s after the first one's.
        Assert.Equal(2, Resume(packager, Wall.AddSeconds(10)));
        Publish(packager, Wall.AddSeconds(10), 6);
        packager.End(Wall.AddSeconds(16));

        TrackSnapshot video = packager.Output.Find("source")!;
        TrackSnapshot audio = packager.Output.Find("audio")!;
        Assert.Equal([1L, 2, 3, 4, 5, 6], video.Segments.Select(s => s.Sequence));
        Assert.Equal([0L, 0, 0, 1, 1, 1], video.Segments.Select(s => s.DiscontinuitySequence));
        Assert.Equal(video.Segments.Select(s => (s.Sequence, s.DiscontinuitySequence)), audio.Segments.Select(s => (s.Sequence, s.DiscontinuitySequence)));

        // Decode times keep increasing: the new publisher's 0 lands at its wall clock, 10 s.
        Assert.Equal(900_000, video.Segments[3].Start);
        Assert.Equal(441_000, audio.Segments[3].Start);
        Assert.Equal(Wall.AddSeconds(10), video.Segments[3].ProgramDateTime);
        Assert.Equal(Wall.AddSeconds(14), video.Segments[5].ProgramDateTime);
        for (int i = 1; i < video.Segments.Count; i++)
        {
            Assert.True(video.Segments[i].Start >= video.Segments[i - 1].Start + video.Segments[i - 1].Duration);
        }

        // One reconnect, one discontinuity, one init segment (the config did not change).
        Discontinuity d = Assert.Single(packager.Output.Discontinuities);
        Assert.Equal(new Discontinuity(4, 1, TimeSpan.FromSeconds(10), DiscontinuityReason.Reconnect), d);
        Assert.All(video.Segments, s => Assert.Equal("init-s1-1.mp4", s.Init.Name));
    }

    [Fact]
    public void Resume_QuickerThanTheGap_StartsResumeGapAfterTheOldEnd()
    {
        StreamPackager packager = NewPackager();
        Publish(packager, Wall, 4);
        packager.Suspend(Wall.AddSeconds(4));

        // Back 0.1 s after the old timeline ended (at 4 s), with a clock that starts at 100 s.
        Resume(packager, Wall.AddSeconds(4.1));
        Publish(packager, Wall.AddSeconds(4.1), 2, firstDtsSeconds: 100);

        TrackSnapshot video = packager.Output.Find("source")!;
        CmafSegment first = video.Segments.Concat([video.Current!]).First(s => s.DiscontinuitySequence == 1);
        Assert.Equal((4 + TimelineRemap.ResumeGap.TotalSeconds) * 90_000, first.Start);
    }

    [Fact]
    public void Media_AfterResume_OneDiscontinuityTagBeforeTheFirstNewSegment()
    {
        StreamPackager packager = NewPackager();
        Publish(packager, Wall, 6);
        packager.Suspend(Wall.AddSeconds(6));
        Resume(packager, Wall.AddSeconds(10));
        Publish(packager, Wall.AddSeconds(10), 4.2);

        string[] lines = Lines(packager.Output, "source");
        int tag = Array.IndexOf(lines, "#EXT-X-DISCONTINUITY");
        Assert.Equal(1, lines.Count(l => l == "#EXT-X-DISCONTINUITY"));
        Assert.Equal("seg-s1-3.m4s", lines.Take(tag).Last(l => l.StartsWith("seg-", StringComparison.Ordinal)));
        Assert.Equal("#EXT-X-PROGRAM-DATE-TIME:2026-11-23T12:00:10.000Z", lines[tag + 1]);
        Assert.Contains("#EXT-X-DISCONTINUITY-SEQUENCE:0", lines);
        Assert.Contains("#EXT-X-MEDIA-SEQUENCE:1", lines);
        Assert.Equal(1, lines.Count(l => l.StartsWith("#EXT-X-MAP:", StringComparison.Ordinal)));

        // The audio playlist breaks at the same segment.
        string[] audio = Lines(packager.Output, "audio");
        Assert.Equal("seg-s1-3.m4s", audio.Take(Array.IndexOf(audio, "#EXT-X-DISCONTINUITY")).Last(l => l.StartsWith("seg-", StringComparison.Ordinal)));
    }

    [Fact]
    public void Media_DiscontinuitySlidesOut_DiscontinuitySequenceTakesItOver()
    {
        var options = new PackagingOptions { SegmentTarget = TimeSpan.FromSeconds(2), PlaylistSegments = 3, RetainedSegments = 3 };
        StreamPackager packager = NewPackager(options);
        Publish(packager, Wall, 4);
        packager.Suspend(Wall.AddSeconds(4));
        Resume(packager, Wall.AddSeconds(6));

        // Segments 1-2 before, 3.. after. Window of 3: [2, 3, 4] has the tag before 3.
        Publish(packager, Wall.AddSeconds(6), 4.5);
        string[] window = Lines(packager.Output, "source", options);
        Assert.Contains("#EXT-X-MEDIA-SEQUENCE:2", window);
        Assert.Contains("#EXT-X-DISCONTINUITY-SEQUENCE:0", window);
        Assert.Contains("#EXT-X-DISCONTINUITY", window);

        // Then [3, 4, 5]: segment 3 is first, its tag is gone and the sequence number is 1.
        Publish(packager, Wall.AddSeconds(10.5), 2.1, firstDtsSeconds: 4.5);
        window = Lines(packager.Output, "source", options);
        Assert.Contains("#EXT-X-MEDIA-SEQUENCE:3", window);
        Assert.Contains("#EXT-X-DISCONTINUITY-SEQUENCE:1", window);
        Assert.DoesNotContain("#EXT-X-DISCONTINUITY", window);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Media_WindowStartsAtTheDiscontinuity_HeaderNumbersItAndNoTag(bool skip)
    {
        // The defaults: 6 listed, 9 kept, so segments before the window are still kept (and skipped ones listed as skipped).
        var options = new PackagingOptions { SegmentTarget = TimeSpan.FromSeconds(2), PlaylistSegments = 6, RetainedSegments = 9 };
        StreamPackager packager = NewPackager(options);
        Publish(packager, Wall, 6);
        packager.Suspend(Wall.AddSeconds(6));
        Resume(packager, Wall.AddSeconds(8));
        Publish(packager, Wall.AddSeconds(8), 12.1);

        // Segments 1-3 before, 4-9 after: the window [4..9] starts at the first new segment.
        string[] lines = Lines(packager.Output, "source", options, skip);
        Assert.Contains("#EXT-X-MEDIA-SEQUENCE:4", lines);
        Assert.Contains("#EXT-X-DISCONTINUITY-SEQUENCE:1", lines);
        Assert.DoesNotContain("#EXT-X-DISCONTINUITY", lines);

        // One segment earlier the window starts before it: header 0, one tag.
        packager = NewPackager(options);
        Publish(packager, Wall, 6);
        packager.Suspend(Wall.AddSeconds(6));
        Resume(packager, Wall.AddSeconds(8));
        Publish(packager, Wall.AddSeconds(8), 10.1);
        lines = Lines(packager.Output, "source", options, skip);
        Assert.Contains("#EXT-X-MEDIA-SEQUENCE:3", lines);
        Assert.Contains("#EXT-X-DISCONTINUITY-SEQUENCE:0", lines);
        Assert.Equal(1, lines.Count(l => l == "#EXT-X-DISCONTINUITY"));
    }

    [Fact]
    public void Media_WhileSuspended_PreloadHintNamesTheFirstPartOfTheNextSequence()
    {
        StreamPackager packager = NewPackager();
        Publish(packager, Wall, 5.2);
        packager.Suspend(Wall.AddSeconds(5.2));

        string[] lines = Lines(packager.Output, "source");
        Assert.Equal("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part-s1-4.0.m4s\"", lines.Single(l => l.StartsWith("#EXT-X-PRELOAD-HINT", StringComparison.Ordinal)));
        Assert.Equal("seg-s1-3.m4s", lines.Last(l => l.StartsWith("seg-", StringComparison.Ordinal)));

        // After the reconnect that part is the first of the next segment, as hinted.
        Resume(packager, Wall.AddSeconds(7));
        Publish(packager, Wall.AddSeconds(7), 0.6);
        CmafSegment current = packager.Output.Find("source")!.Current!;
        Assert.Equal(4, current.Sequence);
        Assert.True(packager.Output.Find("source")!.HasPart(4, 0));
        string[] after = Lines(packager.Output, "source");
        Assert.Equal("#EXT-X-DISCONTINUITY", after[Array.IndexOf(after, "seg-s1-3.m4s") + 1]);
    }

    [Fact]
    public void Dash_AfterResume_NewPeriodAtTheReconnectWithItsOwnTimeline()
    {
        StreamPackager packager = NewPackager();
        Publish(packager, Wall, 6);
        packager.Suspend(Wall.AddSeconds(6));
        Resume(packager, Wall.AddSeconds(10));
        Publish(packager, Wall.AddSeconds(10), 6.2);

        string mpd = DashManifestWriter.Write(packager.Output, new PackagingOptions { SegmentTarget = TimeSpan.FromSeconds(2), PlaylistSegments = 6, RetainedSegments = 9, LowLatency = false }, Wall.AddSeconds(16.2), "http://x/api/time")!;
        Assert.Contains("<Period id=\"0\" start=\"PT0S\">", mpd, StringComparison.Ordinal);
        Assert.Contains("<Period id=\"1\" start=\"PT10S\">", mpd, StringComparison.Ordinal);
        Assert.Equal(2, mpd.Split("<Period ").Length - 1);
        Assert.Contains("startNumber=\"4\" presentationTimeOffset=\"900000\">", mpd, StringComparison.Ordinal);
        Assert.Contains("startNumber=\"4\" presentationTimeOffset=\"441000\">", mpd, StringComparison.Ordinal);
        Assert.Contains("<S t=\"900000\" d=\"180000\" r=\"2\" />", mpd, StringComparison.Ordinal);
        Assert.Contains("type=\"dynamic\"", mpd, StringComparison.Ordinal);

        // Ended: static, the same periods, from the first listed media (segment 2, at 2 s) on.
        packager.End(Wall.AddSeconds(17));
        string ended = DashManifestWriter.Write(packager.Output, StreamPackagerTests.TwoSecondSegments(), Wall.AddSeconds(17), "http://x/api/time")!;
        Assert.Contains("type=\"static\"", ended, StringComparison.Ordinal);
        Assert.Contains("<Period id=\"0\" start=\"PT0S\">", ended, StringComparison.Ordinal);
        Assert.Contains("startNumber=\"2\" presentationTimeOffset=\"180000\">", ended, StringComparison.Ordinal);
        Assert.Contains("<Period id=\"1\" start=\"PT8S\">", ended, StringComparison.Ordinal);
    }

    [Fact]
    public void OnCodecConfig_NewResolution_OneDiscontinuityNewInitSegmentAndPeriod()
    {
        StreamPackager packager = NewPackager();
        Publish(packager, Wall, 4);
        Publish(packager, Wall.AddSeconds(4), 4, firstDtsSeconds: 4, video: Video360);
        packager.End(Wall.AddSeconds(8));

        TrackSnapshot video = packager.Output.Find("source")!;
        Assert.Equal([1L, 2, 3, 4], video.Segments.Select(s => s.Sequence));
        Assert.Equal(["init-s1-1.mp4", "init-s1-1.mp4", "init-s1-2.mp4", "init-s1-2.mp4"], video.Segments.Select(s => s.Init.Name));
        Assert.Equal([0L, 0, 1, 1], video.Segments.Select(s => s.DiscontinuitySequence));
        Assert.Equal([0L, 0, 1, 1], packager.Output.Find("audio")!.Segments.Select(s => s.DiscontinuitySequence));
        Assert.Equal(DiscontinuityReason.CodecConfig, Assert.Single(packager.Output.Discontinuities).Reason);
        Assert.Equal(640, video.FindInit("init-s1-2.mp4")!.Config.Width);
        Assert.Equal(1280, video.FindInit("init-s1-1.mp4")!.Config.Width);

        string[] lines = Lines(packager.Output, "source");
        int tag = Array.IndexOf(lines, "#EXT-X-DISCONTINUITY");
        Assert.Equal(["#EXT-X-DISCONTINUITY", "#EXT-X-MAP:URI=\"init-s1-2.mp4\""], lines[tag..(tag + 2)]);
        Assert.Equal("#EXT-X-MAP:URI=\"init-s1-1.mp4\"", lines.First(l => l.StartsWith("#EXT-X-MAP", StringComparison.Ordinal)));
        Assert.Equal(1, lines.Count(l => l == "#EXT-X-DISCONTINUITY"));

        string mpd = DashManifestWriter.Write(packager.Output, StreamPackagerTests.TwoSecondSegments(), Wall.AddSeconds(9), "http://x/api/time")!;
        Assert.Contains("<Period id=\"1\" start=\"PT4S\">", mpd, StringComparison.Ordinal);
        Assert.Contains("initialization=\"source/init-s1-2.mp4\"", mpd, StringComparison.Ordinal);
        Assert.Contains("width=\"640\" height=\"360\"", mpd, StringComparison.Ordinal);
        Assert.Contains("width=\"1280\" height=\"720\"", mpd, StringComparison.Ordinal);
    }

    [Fact]
    public void OnCodecConfig_IdenticalHeaderRepeated_ChangesNothing()
    {
        StreamPackager repeated = NewPackager();
        StreamPackager plain = NewPackager();
        Publish(plain, Wall, 8);
        Publish(repeated, Wall, 3);

        // The same sequence header again (as encoders resend it, and as a new publisher sends it), mid-GOP.
        repeated.OnCodecConfig(StreamPackagerTests.Video);
        repeated.OnCodecConfig(StreamPackagerTests.Audio);
        Publish(repeated, Wall.AddSeconds(3), 5, firstDtsSeconds: 3);

        TrackSnapshot a = repeated.Output.Find("source")!;
        TrackSnapshot b = plain.Output.Find("source")!;
        Assert.Equal(b.Segments.Select(s => (s.Sequence, s.Start, s.Duration, s.DiscontinuitySequence, s.Init.Name)), a.Segments.Select(s => (s.Sequence, s.Start, s.Duration, s.DiscontinuitySequence, s.Init.Name)));
        Assert.Empty(repeated.Output.Discontinuities);
        Assert.DoesNotContain("#EXT-X-DISCONTINUITY", Lines(repeated.Output, "source"));
    }

    [Fact]
    public void Resume_WithAnotherResolution_OneDiscontinuityForBothCauses()
    {
        StreamPackager packager = NewPackager();
        Publish(packager, Wall, 4);
        packager.Suspend(Wall.AddSeconds(4));
        Resume(packager, Wall.AddSeconds(5));
        Publish(packager, Wall.AddSeconds(5), 4, video: Video360);

        TrackSnapshot video = packager.Output.Find("source")!;
        Assert.Equal([0L, 0, 1], video.Segments.Select(s => s.DiscontinuitySequence));
        Assert.Equal(DiscontinuityReason.Reconnect, Assert.Single(packager.Output.Discontinuities).Reason);
        Assert.Equal("init-s1-2.mp4", video.Segments[2].Init.Name);
    }

    [Fact]
    public void OnRungAccessUnit_AfterResume_RungContinuesAndOlderPublishesAreIgnored()
    {
        StreamPackager packager = NewPackager();
        var rung = new List<AccessUnit>();
        void Source(DateTimeOffset wall, int frames, int publish)
        {
            for (int v = 0; v < frames; v++)
            {
                long dts = v * 3000L;
                AccessUnit mapped = Feed(packager, new AccessUnit(StreamPackagerTests.Video, dts, dts, v % 30 == 0, Frame), wall.AddSeconds(v / 30.0));

                // The ladder reads the unit as the hub mapped it, so its rung shares the source's timeline.
                packager.OnRungAccessUnit(publish, "360p", mapped with { Config = Video360 }, wall.AddSeconds(v / 30.0));
            }
        }

        packager.OnCodecConfig(StreamPackagerTests.Video);
        packager.OnRungConfig(1, "360p", Video360);
        Source(Wall, 120, 1);
        packager.Suspend(Wall.AddSeconds(4));
        Assert.Equal(2, Resume(packager, Wall.AddSeconds(6)));

        // Late output of the old ladder, after the resume: ignored.
        packager.OnRungAccessUnit(1, "360p", new AccessUnit(Video360, 400 * 3000, 400 * 3000, true, Frame), Wall.AddSeconds(6));
        packager.OnRungConfig(2, "360p", Video360);
        Source(Wall.AddSeconds(6), 120, 2);
        packager.End(Wall.AddSeconds(10));

        TrackSnapshot source = packager.Output.Find("source")!;
        TrackSnapshot rendition = packager.Output.Find("360p")!;
        Assert.Equal(
            source.Segments.Select(s => (s.Sequence, s.Start, s.Duration, s.DiscontinuitySequence)),
            rendition.Segments.Select(s => (s.Sequence, s.Start, s.Duration, s.DiscontinuitySequence)));
        Assert.Equal([0L, 0, 1, 1], rendition.Segments.Select(s => s.DiscontinuitySequence));
    }

    [Fact]
    public void Resume_AudioOnly_SequencesContinueAfterOneDiscontinuity()
    {
        StreamPackager packager = NewPackager();
        packager.OnCodecConfig(StreamPackagerTests.Audio);
        for (int a = 0; a < 190; a++)
        {
            Feed(packager, new AccessUnit(StreamPackagerTests.Audio, a * 1024L, a * 1024L, true, Frame), Wall.AddSeconds(a * 1024 / 44100.0));
        }

        packager.Suspend(Wall.AddSeconds(4.5));
        Resume(packager, Wall.AddSeconds(8));
        for (int a = 0; a < 190; a++)
        {
            Feed(packager, new AccessUnit(StreamPackagerTests.Audio, a * 1024L, a * 1024L, true, Frame), Wall.AddSeconds(8 + (a * 1024 / 44100.0)));
        }

        packager.End(Wall.AddSeconds(13));
        TrackSnapshot audio = packager.Output.Find("audio")!;
        Assert.Equal([1L, 2, 3, 4, 5, 6], audio.Segments.Select(s => s.Sequence));
        Assert.Equal([0L, 0, 0, 1, 1, 1], audio.Segments.Select(s => s.DiscontinuitySequence));
        Assert.Equal(8 * 44_100, audio.Segments[3].Start);
    }

    [Fact]
    public void End_Twice_KeepsTheFirstEnd()
    {
        StreamPackager packager = NewPackager();
        Publish(packager, Wall, 3);
        packager.End(Wall.AddSeconds(3));
        packager.End(Wall.AddSeconds(30));
        Assert.Equal(Wall.AddSeconds(3), packager.Output.EndedAt);
        Assert.Throws<InvalidOperationException>(() => Resume(packager, Wall.AddSeconds(31)));
    }
}
