using RtmpGateway.Packaging.Live;
using RtmpGateway.Packaging.Manifests;

namespace RtmpGateway.Packaging.Tests;

/// <summary>The Low-Latency HLS tags of a live media playlist.</summary>
public class LowLatencyPlaylistTests
{
    [Fact]
    public void Media_Live_HasServerControlPartsPreloadHintAndRenditionReport()
    {
        // 5.2 s: segments 1 and 2 complete, segment 3 has two 0.5 s parts so far.
        StreamOutput output = StreamPackagerTests.Feed(5.2, end: false).Output;
        string[] lines = HlsPlaylistWriter.Media(output, output.Find("source")!, new PackagingOptions()).Split('\n');

        Assert.Contains("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.0,PART-HOLD-BACK=1.506", lines);
        Assert.Contains("#EXT-X-PART-INF:PART-TARGET=0.502", lines);
        Assert.Equal(
            [
                "#EXT-X-PART:DURATION=0.500,URI=\"part-s1-3.0.m4s\",INDEPENDENT=YES",
                "#EXT-X-PART:DURATION=0.500,URI=\"part-s1-3.1.m4s\"",
                "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part-s1-3.2.m4s\"",
            ],
            lines.SkipWhile(l => l != "seg-s1-2.m4s").Skip(2).Take(3));
        Assert.Contains("#EXT-X-PART:DURATION=0.500,URI=\"part-s1-1.3.m4s\"", lines);
        string report = Assert.Single(lines, l => l.StartsWith("#EXT-X-RENDITION-REPORT:", StringComparison.Ordinal));
        Assert.StartsWith("#EXT-X-RENDITION-REPORT:URI=\"../audio/index.m3u8\",LAST-MSN=3,LAST-PART=", report, StringComparison.Ordinal);
        Assert.DoesNotContain("#EXT-X-ENDLIST", lines);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(0.1)]
    public void AudioParts_FollowTheVideoParts_WithoutStubs(double audioLead)
    {
        var options = new PackagingOptions();
        StreamOutput output = StreamPackagerTests.Feed(10.2, audioLead: audioLead, end: false).Output;
        TrackSnapshot video = output.Find("source")!;
        TrackSnapshot audio = output.Find("audio")!;

        // Part N.k of the audio covers what part N.k of the video does: the same count per segment,
        // each starting at the first AAC frame at or after the video part's start.
        Assert.Equal(5, audio.Segments.Count);
        Assert.Equal(video.Segments.Select(s => s.Parts.Count), audio.Segments.Select(s => s.Parts.Count));
        foreach ((CmafSegment v, CmafSegment a) in video.Segments.Zip(audio.Segments))
        {
            foreach ((CmafPart vp, CmafPart ap) in v.Parts.Zip(a.Parts))
            {
                double videoStart = vp.Start / 90_000.0;
                double audioStart = ap.Start / 44_100.0;
                Assert.InRange(audioStart - videoStart, 0, 1024 / 44_100.0);
            }
        }

        // No stub of a frame or two (hls.js stalls on those): every part, the last of each segment
        // too, is within the 85 % .. PART-TARGET band of HLS 4.4.4.9.
        // 0.5 s and one AAC frame at 44.1 kHz (23.2 ms, rounded up to the millisecond).
        const double partTarget = 0.524;
        Assert.All(audio.Segments.SelectMany(s => s.Parts), p => Assert.InRange(p.Duration / 44_100.0, 0.85 * options.PartTarget.TotalSeconds, partTarget));
        Assert.Contains($"#EXT-X-PART-INF:PART-TARGET={partTarget:F3}\n", HlsPlaylistWriter.Media(output, audio, options), StringComparison.Ordinal);
    }

    [Fact]
    public void Media_Skip_ReplacesSegmentsOlderThanCanSkipUntil()
    {
        var options = new PackagingOptions { PlaylistSegments = 12, RetainedSegments = 12 };
        StreamOutput output = StreamPackagerTests.Feed(30, options: options, end: false).Output;
        TrackSnapshot video = output.Find("source")!;
        string full = HlsPlaylistWriter.Media(output, video, options);
        string delta = HlsPlaylistWriter.Media(output, video, options, skip: true);

        // 12 segments of 2 s end at 28 s; those ending more than 12 s before that (at 16 s or earlier) go.
        Assert.Contains("#EXT-X-VERSION:9\n", delta, StringComparison.Ordinal);
        Assert.Contains("#EXT-X-SKIP:SKIPPED-SEGMENTS=5\n", delta, StringComparison.Ordinal);
        string[] fullSegments = [.. full.Split('\n').Where(l => l.StartsWith("seg-", StringComparison.Ordinal))];
        string[] deltaSegments = [.. delta.Split('\n').Where(l => l.StartsWith("seg-", StringComparison.Ordinal))];
        Assert.Equal(fullSegments.Skip(5), deltaSegments);
        Assert.Equal(full.Split('\n').Single(l => l.StartsWith("#EXT-X-MEDIA-SEQUENCE", StringComparison.Ordinal)), delta.Split('\n').Single(l => l.StartsWith("#EXT-X-MEDIA-SEQUENCE", StringComparison.Ordinal)));
        Assert.DoesNotContain("#EXT-X-SKIP", full, StringComparison.Ordinal);
    }

    [Fact]
    public void HasPart_PastTheEndOfACompletedSegment_MeansTheNextSegmentsFirstPart()
    {
        TrackSnapshot video = StreamPackagerTests.Feed(4.4, audio: false, end: false).Output.Find("source")!;

        // Segments 1 and 2 complete (4 parts each), segment 3 has none yet... or one: 4.4 s.
        Assert.True(video.HasPart(2, 3));
        Assert.True(video.HasPart(2, null));
        Assert.Equal(video.Current is { Parts.Count: > 0 }, video.HasPart(2, 4));
        Assert.False(video.HasPart(3, 5));
        Assert.False(video.HasPart(4, 0));
    }
}
