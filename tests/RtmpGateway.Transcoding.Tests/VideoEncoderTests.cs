using RtmpGateway.Media;

namespace RtmpGateway.Transcoding.Tests;

[Trait("Category", "Native")]
public sealed class VideoEncoderTests
{
    [Fact]
    public void Encode_ForcedIdrAtSourceKeyframes_KeyframesExactlyThereAndCliDecodesOutput()
    {
        string dir = TestMedia.TempDirectory();
        try
        {
            // 3 s at 30 fps with a 1 s GOP; the rung's own GOP is 2 s, so every keyframe must be a forced one.
            FlvVideo source = TestMedia.MakeClip(dir, "source.flv", 640, 360, 30, 3, gop: 30);
            HashSet<long> sourceKeyframes = source.Frames.Where(f => f.IsKeyframe).Select(f => f.Pts90k).ToHashSet();
            Assert.Equal(3, sourceKeyframes.Count);

            var options = new VideoEncoderOptions { Width = 320, Height = 180, BitRate = 400_000, KeyframeInterval = 60 };
            var packets = new List<EncodedPacket>();
            using (var decoder = new VideoDecoder(source.AvcRecord, threads: 2))
            using (var scaler = new FrameScaler(320, 180, ScalingAlgorithm.Bicubic))
            using (var encoder = new VideoEncoder(options))
            {
                CodecConfig config = CodecConfig.FromAvcRecord(encoder.Extradata.Span);
                Assert.Equal((320, 180, 100), (config.Width, config.Height, config.Profile));

                // The SPS's VUI timing states the nominal rate (E.2.1: time_scale / (2 x num_units_in_tick)), not the time base's 90000.
                Assert.Equal(30.0, config.FrameRate);
                Assert.True(config.Sps!.FixedFrameRate);
                Assert.Equal(config.CodecString, encoder.Config.CodecString);

                foreach (FlvVideoTag tag in source.Frames)
                {
                    decoder.Send(tag.Payload, tag.Pts90k, tag.Dts90k, tag.IsKeyframe);
                    EncodeDecoded(decoder, scaler, encoder, sourceKeyframes, packets);
                }

                decoder.Flush();
                EncodeDecoded(decoder, scaler, encoder, sourceKeyframes, packets);
                encoder.Flush();
                Collect(encoder, packets);
                Assert.True(encoder.IsDrained);

                TestMedia.WriteFlv(Path.Combine(dir, "out.flv"), encoder.Extradata.Span, packets);
            }

            Assert.Equal(90, packets.Count);
            Assert.Equal(sourceKeyframes.Order(), packets.Where(p => p.IsKeyframe).Select(p => p.Pts).Order());
            Assert.Equal(source.Frames.Select(f => f.Pts90k).Order(), packets.Select(p => p.Pts).Order());
            // Every keyframe is an IDR access unit (nal_unit_type 5), every other one is not.
            foreach (EncodedPacket packet in packets)
            {
                bool idr = TestMedia.SplitLengthPrefixed(packet.Payload.Span).Any(u => (u[0] & 0x1F) == AnnexB.NalTypeIdr);
                Assert.Equal(packet.IsKeyframe, idr);
            }

            (int exit, string stdout, string stderr) = TestMedia.Run(
                "ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                "-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", Path.Combine(dir, "out.flv"));
            Assert.True(exit == 0 && stderr.Length == 0, stderr);
            Assert.Equal("h264,320,180,90", stdout.Trim());
            (exit, _, stderr) = TestMedia.Run("ffmpeg", "-v", "error", "-xerror", "-i", Path.Combine(dir, "out.flv"), "-f", "null", "-");
            Assert.True(exit == 0 && stderr.Length == 0, stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Encode_DefaultTuneVersusZeroLatency_OnlyZeroLatencyEmitsAPacketPerFrame()
    {
        Assert.Equal(0, MeasureDelay("zerolatency"));
        Assert.True(MeasureDelay(null) > 0);
    }

    [Fact]
    public void Constructor_MisspeltOption_FailsNamingTheKey()
    {
        var options = new VideoEncoderOptions { Width = 320, Height = 180, BitRate = 400_000, KeyframeInterval = 60 };
        options.AdditionalOptions["presett"] = "fast";

        FFmpegException e = Assert.Throws<FFmpegException>(() => new VideoEncoder(options));

        Assert.Equal(FFmpegError.OptionNotFound, e.Error);
        Assert.Contains("presett=fast", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_FrameOfAnotherSize_ThrowsArgumentException()
    {
        using var encoder = new VideoEncoder(new VideoEncoderOptions { Width = 320, Height = 180, BitRate = 400_000, KeyframeInterval = 60 });
        using DecodedFrame frame = DecodeFirstGoldenFrame();

        Assert.Throws<ArgumentException>(() => encoder.Encode(frame, 0, forceIdr: true));
    }

    [Fact]
    public void Options_OddSize_FailValidationNamingTheProperty()
    {
        var options = new VideoEncoderOptions { Width = 321, Height = 180, BitRate = 400_000, KeyframeInterval = 60 };

        ArgumentException e = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Width", e.Message, StringComparison.Ordinal);
    }

    internal static DecodedFrame DecodeFirstGoldenFrame()
    {
        FlvVideo flv = FlvVideo.Read(TestMedia.DataPath("testsrc2-320x240.flv"));
        using var decoder = new VideoDecoder(flv.AvcRecord, threads: 1);
        decoder.Send(flv.Frames[0].Payload, flv.Frames[0].Pts90k, flv.Frames[0].Dts90k, key: true);
        decoder.Flush();
        Assert.True(decoder.TryReceive(out DecodedFrame? frame));
        return frame;
    }

    /// <summary>Frames sent before the first packet comes out.</summary>
    private static int MeasureDelay(string? tune)
    {
        using DecodedFrame source = DecodeFirstGoldenFrame();
        using var encoder = new VideoEncoder(new VideoEncoderOptions
        {
            Width = 320, Height = 240, BitRate = 400_000, KeyframeInterval = 60, Tune = tune, Threads = 1,
        });
        for (int i = 0; i < 60; i++)
        {
            encoder.Encode(source, i * 3000L, forceIdr: i == 0);
            if (encoder.TryReceive(out _))
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    private static void EncodeDecoded(VideoDecoder decoder, FrameScaler scaler, VideoEncoder encoder, HashSet<long> keyframes, List<EncodedPacket> packets)
    {
        while (decoder.TryReceive(out DecodedFrame? frame))
        {
            using (frame)
            using (DecodedFrame scaled = scaler.Scale(frame))
            {
                Assert.Equal(frame.Pts, scaled.Pts);
                long pts = scaled.Pts!.Value;
                encoder.Encode(scaled, pts, forceIdr: keyframes.Contains(pts));
            }

            Collect(encoder, packets);
        }
    }

    private static void Collect(VideoEncoder encoder, List<EncodedPacket> packets)
    {
        while (encoder.TryReceive(out EncodedPacket? packet))
        {
            packets.Add(packet);
        }
    }
}
