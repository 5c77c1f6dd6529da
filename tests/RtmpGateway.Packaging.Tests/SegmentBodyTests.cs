using System.Runtime.InteropServices;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Cmaf;
using RtmpGateway.Packaging.Live;

namespace RtmpGateway.Packaging.Tests;

/// <summary>A segment's body is written in place: styp, then its parts, each part a slice of it, so completing it copies nothing.</summary>
public class SegmentBodyTests
{
    private static readonly byte[] Frame = [0, 0, 0, 2, 0x65, 0x88];

    [Fact]
    public void Segment_PartsServedWhileItGrew_AreTheBytesOfItsCompleteBody()
    {
        var packager = new StreamPackager(new StreamOutput("live", "test", "s1", StreamPackagerTests.Wall), StreamPackagerTests.TwoSecondSegments());
        packager.OnCodecConfig(StreamPackagerTests.Video);
        DateTimeOffset Feed(int from, int to)
        {
            for (int v = from; v < to; v++)
            {
                packager.OnAccessUnit(new AccessUnit(StreamPackagerTests.Video, v * 3000L, v * 3000L, v % 60 == 0, Frame), StreamPackagerTests.Wall.AddSeconds(v / 30.0));
            }

            return StreamPackagerTests.Wall.AddSeconds(to / 30.0);
        }

        // 3.5 s: segment 2 is in production with parts a player may already have fetched.
        Feed(0, 105);
        CmafSegment growing = packager.Output.Find("source")!.Current!;
        Assert.Equal(2, growing.Sequence);
        Assert.True(growing.Parts.Count >= 2);
        byte[][] served = [.. growing.Parts.Select(p => MemoryMarshal.TryGetArray(p.Bytes, out ArraySegment<byte> a) ? a.Array! : throw new InvalidOperationException())];

        packager.End(Feed(105, 120));
        CmafSegment complete = packager.Output.Find("source")!.Segments.Single(s => s.Sequence == 2);
        Assert.True(MemoryMarshal.TryGetArray(complete.Body, out ArraySegment<byte> body));
        Assert.All(served, array => Assert.Same(body.Array, array));

        // styp first, then every part in order without a gap.
        Assert.Equal(CmafFragment.SegmentTypeBox.ToArray(), complete.Body[..CmafFragment.SegmentTypeBox.Length].ToArray());
        int offset = body.Offset + CmafFragment.SegmentTypeBox.Length;
        foreach (CmafPart part in complete.Parts)
        {
            Assert.True(MemoryMarshal.TryGetArray(part.Bytes, out ArraySegment<byte> bytes));
            Assert.Same(body.Array, bytes.Array);
            Assert.Equal(offset, bytes.Offset);
            offset += bytes.Count;
        }

        Assert.Equal(body.Offset + body.Count, offset);
    }
}
