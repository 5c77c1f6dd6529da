using RtmpGateway.Packaging.Live;
using RtmpGateway.Packaging.Manifests;

namespace RtmpGateway.Packaging.Tests;

/// <summary>Playlist and MPD text for a known timeline, pinned whole.</summary>
public class ManifestTests
{
    [Fact]
    public void Media_EndedStream_ListsTheWindowWithEndList()
    {
        StreamOutput output = StreamPackagerTests.Feed(10).Output;
        string text = HlsPlaylistWriter.Media(output, output.Find("source")!, new PackagingOptions { PlaylistSegments = 3 });

        Assert.Equal(
            """
            #EXTM3U
            #EXT-X-VERSION:7
            #EXT-X-TARGETDURATION:2
            #EXT-X-MEDIA-SEQUENCE:3
            #EXT-X-DISCONTINUITY-SEQUENCE:0
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-MAP:URI="init-s1-1.mp4"
            #EXT-X-PROGRAM-DATE-TIME:2026-11-23T12:00:04.000Z
            #EXTINF:2.000,
            seg-s1-3.m4s
            #EXT-X-PROGRAM-DATE-TIME:2026-11-23T12:00:06.000Z
            #EXTINF:2.000,
            seg-s1-4.m4s
            #EXT-X-PROGRAM-DATE-TIME:2026-11-23T12:00:08.000Z
            #EXTINF:2.000,
            seg-s1-5.m4s
            #EXT-X-ENDLIST

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void Multivariant_VideoAndAudio_AdvertisesCodecsResolutionAndAudioGroup()
    {
        StreamOutput output = StreamPackagerTests.Feed(6, end: false).Output;
        string text = HlsPlaylistWriter.Multivariant(output)!;
        string[] lines = text.Split('\n');

        Assert.Equal("#EXTM3U", lines[0]);
        Assert.Contains("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",LANGUAGE=\"und\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio/index.m3u8\"", lines);
        string inf = lines.Single(l => l.StartsWith("#EXT-X-STREAM-INF:", StringComparison.Ordinal));
        Assert.Contains("CODECS=\"avc1.64001f,mp4a.40.2\"", inf, StringComparison.Ordinal);
        Assert.Contains("RESOLUTION=1280x720", inf, StringComparison.Ordinal);
        Assert.Contains("FRAME-RATE=30.000", inf, StringComparison.Ordinal);
        Assert.Contains("AUDIO=\"audio\"", inf, StringComparison.Ordinal);
        Assert.Matches(@"BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+", inf);
        Assert.Equal("source/index.m3u8", lines[Array.IndexOf(lines, inf) + 1]);
    }

    [Fact]
    public void Multivariant_AudioOnly_ListsOnlyTheAudioPlaylist()
    {
        StreamOutput output = StreamPackagerTests.Feed(5, video: false).Output;
        string text = HlsPlaylistWriter.Multivariant(output)!;
        Assert.DoesNotContain("avc1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("EXT-X-MEDIA:", text, StringComparison.Ordinal);
        Assert.Contains("CODECS=\"mp4a.40.2\"\naudio/index.m3u8", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Dash_Live_IsDynamicWithTimelineAndClock()
    {
        PackagingOptions options = StreamPackagerTests.TwoSecondSegments();
        StreamOutput output = StreamPackagerTests.Feed(10, options: options, end: false).Output;
        string mpd = DashManifestWriter.Write(output, options, StreamPackagerTests.Wall.AddSeconds(10), "http://127.0.0.1/api/time")!;

        Assert.Contains("type=\"dynamic\"", mpd, StringComparison.Ordinal);
        Assert.Contains("availabilityStartTime=\"2026-11-23T12:00:00.000Z\"", mpd, StringComparison.Ordinal);
        Assert.Contains("profiles=\"urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019\"", mpd, StringComparison.Ordinal);
        // Low latency (the default): the segment in production is listed too, available early.
        Assert.Contains("<SegmentTemplate timescale=\"90000\" initialization=\"source/init-s1-1.mp4\" media=\"$RepresentationID$/seg-s1-$Number$.m4s\" startNumber=\"1\" presentationTimeOffset=\"0\" availabilityTimeOffset=\"1.5\" availabilityTimeComplete=\"false\">", mpd, StringComparison.Ordinal);
        Assert.Contains("<S t=\"0\" d=\"180000\" r=\"4\" />", mpd, StringComparison.Ordinal);
        Assert.Contains("<ServiceDescription id=\"0\">", mpd, StringComparison.Ordinal);
        Assert.Contains("<Latency target=\"1500\" min=\"750\" max=\"4500\" />", mpd, StringComparison.Ordinal);
        Assert.Contains("<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"http://127.0.0.1/api/time\" />", mpd, StringComparison.Ordinal);
        Assert.Contains("segmentAlignment=\"true\" startWithSAP=\"1\"", mpd, StringComparison.Ordinal);
        Assert.Contains("<AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"2\" />", mpd, StringComparison.Ordinal);
    }

    [Fact]
    public void Dash_LiveWithoutLowLatency_ListsOnlyCompleteSegments()
    {
        StreamOutput output = StreamPackagerTests.Feed(10, end: false).Output;
        string mpd = DashManifestWriter.Write(output, new PackagingOptions { LowLatency = false }, StreamPackagerTests.Wall.AddSeconds(10), "http://127.0.0.1/api/time")!;

        Assert.Contains("<SegmentTemplate timescale=\"90000\" initialization=\"source/init-s1-1.mp4\" media=\"$RepresentationID$/seg-s1-$Number$.m4s\" startNumber=\"1\" presentationTimeOffset=\"0\">", mpd, StringComparison.Ordinal);
        Assert.Contains("<S t=\"0\" d=\"180000\" r=\"3\" />", mpd, StringComparison.Ordinal);
        Assert.DoesNotContain("ServiceDescription", mpd, StringComparison.Ordinal);
    }

    [Fact]
    public void Dash_Ended_IsStaticWithDuration()
    {
        StreamOutput output = StreamPackagerTests.Feed(10).Output;
        string mpd = DashManifestWriter.Write(output, new PackagingOptions(), StreamPackagerTests.Wall.AddSeconds(11), "http://x/api/time")!;

        Assert.Contains("type=\"static\"", mpd, StringComparison.Ordinal);
        Assert.Contains("mediaPresentationDuration=\"PT10", mpd, StringComparison.Ordinal);
        Assert.DoesNotContain("minimumUpdatePeriod", mpd, StringComparison.Ordinal);
        Assert.DoesNotContain("UTCTiming", mpd, StringComparison.Ordinal);
    }
}
