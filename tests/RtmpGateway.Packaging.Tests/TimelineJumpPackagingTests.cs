using RtmpGateway.Media;
using RtmpGateway.Packaging.Live;
using RtmpGateway.Packaging.Manifests;

namespace RtmpGateway.Packaging.Tests;

/// <summary>
/// Publisher clocks that jump, through the demuxer into the packager: the segments stay 2 s long, the
/// parts 0.5 s, the target duration 2, and the sequence numbers consecutive: no storm of tiny parts
/// or segments, no segment as long as the jump.
/// </summary>
public class TimelineJumpPackagingTests
{
    private static readonly byte[] Nal = [0, 0, 0, 2, 0x65, 0x88];

    private sealed class PackagerSink(StreamPackager packager) : IMediaSink
    {
        public DateTimeOffset Now { get; set; }

        public int Jumps { get; private set; }

        public void OnCodecConfig(CodecConfig config) => packager.OnCodecConfig(config);

        public void OnAccessUnit(in AccessUnit unit) => packager.OnAccessUnit(unit, Now);

        public void OnTimestampRepaired(MediaKind kind, long fromMs, long toMs)
        {
        }

        public void OnTimelineJump(MediaKind kind, long fromMs, long toMs) => Jumps++;
    }

    /// <summary>12 s of 30 fps video (keyframe each second) and AAC, stamped by <paramref name="stamp"/>, demuxed and packaged.</summary>
    private static (StreamOutput Output, int Jumps) Package(Func<MediaKind, double, long> stamp)
    {
        var output = new StreamOutput("live", "test", "s1", StreamPackagerTests.Wall);
        var packager = new StreamPackager(output, StreamPackagerTests.TwoSecondSegments());
        var sink = new PackagerSink(packager) { Now = StreamPackagerTests.Wall };
        var demuxer = new FlvDemuxer();
        demuxer.Demux(FlvTagType.Video, 0, (byte[])[0x17, 0, 0, 0, 0, .. StreamPackagerTests.Video.Record.Span], sink);
        demuxer.Demux(FlvTagType.Audio, 0, (byte[])[0xAF, 0, 0x12, 0x10], sink);
        for (int v = 0, a = 0; v < 360 || a < 516;)
        {
            double vt = v * 1000 / 30.0;
            double at = a * 1024 * 1000 / 44100.0;
            if (v < 360 && vt <= at)
            {
                sink.Now = StreamPackagerTests.Wall.AddMilliseconds(vt);
                demuxer.Demux(FlvTagType.Video, (uint)stamp(MediaKind.Video, vt), (byte[])[(byte)(v % 30 == 0 ? 0x17 : 0x27), 1, 0, 0, 0, .. Nal], sink);
                v++;
            }
            else
            {
                sink.Now = StreamPackagerTests.Wall.AddMilliseconds(at);
                demuxer.Demux(FlvTagType.Audio, (uint)stamp(MediaKind.Audio, at), (byte[])[0xAF, 1, 0x21, 0x10], sink);
                a++;
            }
        }

        packager.End(StreamPackagerTests.Wall.AddSeconds(12));
        return (output, sink.Jumps);
    }

    [Theory]
    [InlineData(-5_000)]
    [InlineData(3_600_000)]
    public void Packager_PublisherClockJumps_SegmentsAndPartsKeepTheirLength(long jumpMs)
    {
        (StreamOutput output, int jumps) = Package((_, t) => 100_000 + (long)Math.Round(t) + (t >= 5000 ? jumpMs : 0));

        foreach (string rendition in (string[])["source", "audio"])
        {
            TrackSnapshot track = output.Find(rendition)!;
            Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), track.Segments.Select(s => s.Sequence));
            Assert.All(track.Segments, s => Assert.InRange(s.Duration / (double)track.Config.Timescale, 1.95, 2.05));
            // PART-TARGET: 0.5 s plus FLV's 2 ms of rounding for video, plus one AAC frame (24 ms at 44.1 kHz) for audio.
            double partTarget = rendition == "audio" ? 0.524 : 0.502;
            Assert.All(track.Segments.SelectMany(s => s.Parts.SkipLast(1)), p => Assert.InRange(p.Duration / (double)track.Config.Timescale, 0.4, partTarget));
            Assert.All(track.Segments, s => Assert.InRange(s.Parts.Count, 4, 5));
            Assert.Equal(2, track.TargetDurationSeconds);
            Assert.DoesNotContain("#EXT-X-DISCONTINUITY\n", HlsPlaylistWriter.Media(output, track, StreamPackagerTests.TwoSecondSegments()), StringComparison.Ordinal);
        }

        Assert.Equal(1, jumps);
    }
}
