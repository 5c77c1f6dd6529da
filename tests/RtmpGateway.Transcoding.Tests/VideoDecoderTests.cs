namespace RtmpGateway.Transcoding.Tests;

[Trait("Category", "Native")]
public sealed class VideoDecoderTests
{
    [Fact]
    public void Decode_GoldenFlvClip_YieldsEveryFrameAtItsSizeAndPts()
    {
        FlvVideo flv = FlvVideo.Read(TestMedia.DataPath("testsrc2-320x240.flv"));
        using var decoder = new VideoDecoder(flv.AvcRecord, threads: 2);
        var pts = new List<long>();

        foreach (FlvVideoTag tag in flv.Frames)
        {
            decoder.Send(tag.Payload, tag.Pts90k, tag.Dts90k, tag.IsKeyframe);
            Drain(decoder, pts);
        }

        decoder.Flush();
        Drain(decoder, pts);

        Assert.True(decoder.IsDrained);
        Assert.Equal(30, pts.Count);
        Assert.Equal(flv.Frames.Select(f => f.Pts90k).Order(), pts);
        Assert.False(decoder.TryReceive(out _));
    }

    [Fact]
    public void Send_AfterFlush_ThrowsUntilReset()
    {
        FlvVideo flv = FlvVideo.Read(TestMedia.DataPath("testsrc2-320x240.flv"));
        using var decoder = new VideoDecoder(flv.AvcRecord, threads: 1);
        decoder.Flush();

        Assert.Throws<InvalidOperationException>(() => decoder.Send(flv.Frames[0].Payload, 0, 0, key: true));

        decoder.Reset();
        decoder.Send(flv.Frames[0].Payload, 0, 0, key: true);
        decoder.Flush();
        Assert.True(decoder.TryReceive(out DecodedFrame? frame));
        using (frame)
        {
            Assert.Equal((320, 240, true), (frame.Width, frame.Height, frame.IsYuv420P));
        }
    }

    [Fact]
    public void Constructor_MalformedRecord_ThrowsMediaFormatException()
    {
        Assert.Throws<RtmpGateway.Media.MediaFormatException>(() => new VideoDecoder([1, 0x64, 0, 0x0D], threads: 1));
    }

    private static void Drain(VideoDecoder decoder, List<long> pts)
    {
        while (decoder.TryReceive(out DecodedFrame? frame))
        {
            using (frame)
            {
                Assert.Equal((320, 240), (frame.Width, frame.Height));
                pts.Add(frame.Pts!.Value);
            }
        }
    }
}
