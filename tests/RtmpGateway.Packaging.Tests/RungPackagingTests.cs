using RtmpGateway.Media;
using RtmpGateway.Packaging.Live;

namespace RtmpGateway.Packaging.Tests;

/// <summary>Ladder rungs are cut where the source was cut, with the same sequence numbers.</summary>
public class RungPackagingTests
{
    private static readonly byte[] Frame = [0, 0, 0, 2, 0x65, 0x88];

    [Fact]
    public void OnRungAccessUnit_KeyframesAtSourceKeyframes_SegmentsMatchTheSource()
    {
        var output = new StreamOutput("live", "test", "s1", StreamPackagerTests.Wall);
        var packager = new StreamPackager(output, StreamPackagerTests.TwoSecondSegments());
        packager.OnCodecConfig(StreamPackagerTests.Video);
        var rung = new List<AccessUnit>();
        for (int v = 0; v < 300; v++)
        {
            // Source: B-frame style offsets (PTS = DTS + 6000), keyframe every 30 frames (1 s).
            long dts = v * 3000L;
            DateTimeOffset at = StreamPackagerTests.Wall.AddSeconds(v / 30.0);
            packager.OnAccessUnit(new AccessUnit(StreamPackagerTests.Video, dts, dts + 6000, v % 30 == 0, Frame), at);

            // The rung lags the source by 20 frames, as a transcoder does, with the same decode times.
            rung.Add(new AccessUnit(StreamPackagerTests.Video, dts, dts + 6000, v % 30 == 0, Frame));
            if (v == 20)
            {
                packager.OnRungConfig(1, "360p", StreamPackagerTests.Video);
            }

            if (v >= 20)
            {
                AccessUnit late = rung[v - 20];
                packager.OnRungAccessUnit(1, "360p", late, at);
            }
        }

        foreach (AccessUnit late in rung.Skip(280))
        {
            packager.OnRungAccessUnit(1, "360p", late, StreamPackagerTests.Wall.AddSeconds(10));
        }

        packager.End(StreamPackagerTests.Wall.AddSeconds(10));
        TrackSnapshot source = output.Find("source")!;
        TrackSnapshot rendition = output.Find("360p")!;

        Assert.Equal(source.Segments.Select(s => (s.Sequence, s.Start, s.Duration)), rendition.Segments.Select(s => (s.Sequence, s.Start, s.Duration)));
        Assert.Equal(5, rendition.Segments.Count);
        Assert.Equal(2, output.Video.Count());
    }
}
