using System.Diagnostics;

namespace RtmpGateway.Transcoding.Tests;

[Trait("Category", "Native")]
public sealed class OwnershipTests
{
    [Fact]
    public void CreateUseDispose_200DecodersScalersEncoders_RssStaysRoughlyFlat()
    {
        FlvVideo flv = FlvVideo.Read(TestMedia.DataPath("testsrc2-320x240.flv"));
        var options = new VideoEncoderOptions { Width = 160, Height = 120, BitRate = 200_000, KeyframeInterval = 60, Threads = 1 };
        void Cycle()
        {
            using var decoder = new VideoDecoder(flv.AvcRecord, threads: 1);
            using var scaler = new FrameScaler(160, 120, ScalingAlgorithm.Bilinear);
            using var encoder = new VideoEncoder(options);
            decoder.Send(flv.Frames[0].Payload, 0, 0, key: true);
            decoder.Flush();
            Assert.True(decoder.TryReceive(out DecodedFrame? frame));
            using (frame)
            using (DecodedFrame scaled = scaler.Scale(frame))
            {
                encoder.Encode(scaled, 0, forceIdr: true);
            }

            encoder.Flush();
            Assert.True(encoder.TryReceive(out EncodedPacket? packet));
            Assert.True(packet.IsKeyframe);
        }

        for (int i = 0; i < 20; i++)
        {
            Cycle();
        }

        long before = Rss();
        for (int i = 0; i < 200; i++)
        {
            Cycle();
        }

        long growth = Rss() - before;
        Assert.True(growth < 50L * 1024 * 1024, $"RSS grew by {growth / (1024 * 1024)} MB over 200 cycles");
    }

    private static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using Process self = Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64;
    }
}
