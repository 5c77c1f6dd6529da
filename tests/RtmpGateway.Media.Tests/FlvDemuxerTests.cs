using System.Runtime.InteropServices;
using System.Text;

namespace RtmpGateway.Media.Tests;

public class FlvDemuxerTests
{
    private static readonly byte[] AvcMain = Golden.Hex(Golden.AvcMain1080);

    /// <summary>Legacy AVC tag: FrameType|CodecID 7, AVCPacketType, CompositionTime SI24, data (FLV E.4.3.1).</summary>
    private static byte[] AvcTag(int frameType, int packetType, int cts, ReadOnlySpan<byte> data)
    {
        byte[] tag = new byte[5 + data.Length];
        tag[0] = (byte)((frameType << 4) | 7);
        tag[1] = (byte)packetType;
        tag[2] = (byte)(cts >> 16);
        tag[3] = (byte)(cts >> 8);
        tag[4] = (byte)cts;
        data.CopyTo(tag.AsSpan(5));
        return tag;
    }

    /// <summary>Enhanced RTMP ExVideoTagHeader: IsExHeader|FrameType(3)|PacketType(4), FourCC, [SI24 cts], data.</summary>
    private static byte[] ExTag(int frameType, int packetType, string fourCc, int? cts, ReadOnlySpan<byte> data)
    {
        var tag = new List<byte> { (byte)(0x80 | (frameType << 4) | packetType) };
        tag.AddRange(Encoding.ASCII.GetBytes(fourCc));
        if (cts is int c)
        {
            tag.AddRange([(byte)(c >> 16), (byte)(c >> 8), (byte)c]);
        }

        tag.AddRange(data.ToArray());
        return [.. tag];
    }

    private static byte[] AacTag(int packetType, ReadOnlySpan<byte> data) => [0xAF, (byte)packetType, .. data];

    private static readonly byte[] Nal = [0, 0, 0, 2, 0x65, 0x88];

    [Fact]
    public void Demux_FfmpegFlv_ReportsConfigsAndUnitsWithCtsAndAudioTicks()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();
        var tags = FlvFile.ReadTags(Golden.File("h264_720p_high_aac.flv"));

        foreach (var (type, ts, body) in tags)
        {
            demuxer.Demux(type, ts, body, sink);
        }

        Assert.Equal(2, sink.Configs.Count);
        Assert.Equal("avc1.64001f", sink.Configs[0].CodecString);
        Assert.Equal(1280, demuxer.Video!.Width);
        Assert.Equal("mp4a.40.2", demuxer.Audio!.CodecString);
        Assert.Equal(0, demuxer.DroppedBeforeConfig);
        Assert.Empty(sink.Repairs);

        // Tag 3: first keyframe, timestamp 0, CompositionTime 0x43 = 67 ms.
        AccessUnit key = sink.Units[0];
        Assert.Equal(MediaKind.Video, key.Kind);
        Assert.Equal(1, key.TrackId);
        Assert.True(key.IsKeyframe);
        Assert.Equal(0, key.Dts);
        Assert.Equal(67 * 90, key.Pts);
        Assert.Equal(4932 - 5, key.Payload.Length);
        // The payload is a slice of the caller's tag memory, not a copy.
        Assert.True(MemoryMarshal.TryGetArray(key.Payload, out ArraySegment<byte> seg));
        Assert.True(MemoryMarshal.TryGetArray(tags[3].Body, out ArraySegment<byte> tagSeg));
        Assert.Same(tagSeg.Array, seg.Array);
        Assert.Equal(tagSeg.Offset + 5, seg.Offset);

        // Tag 4: inter frame at 34 ms, cts 0x42 = 66.
        Assert.False(sink.Units[1].IsKeyframe);
        Assert.Equal(34 * 90, sink.Units[1].Dts);
        Assert.Equal(100 * 90, sink.Units[1].Pts);

        // Tag 5: audio at 44 ms -> 44 * 44100 / 1000 = 1940.4 -> 1940; tag 7 at 67 ms -> 2954.7 -> 2955.
        AccessUnit[] audio = sink.Units.Where(u => u.Kind == MediaKind.Audio).ToArray();
        Assert.Equal(2, audio[0].TrackId);
        Assert.Equal(1940, audio[0].Dts);
        Assert.Equal(audio[0].Dts, audio[0].Pts);
        Assert.Equal(2955, audio[1].Dts);
        Assert.Equal(340 - 2, audio[0].Payload.Length);
    }

    [Fact]
    public void Demux_NegativeCompositionTime_PtsBeforeDts()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();
        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 0, 0, AvcMain), sink);

        demuxer.Demux(FlvTagType.Video, 100, AvcTag(2, 1, -40, Nal), sink);

        Assert.Equal(100 * 90, sink.Units[0].Dts);
        Assert.Equal(60 * 90, sink.Units[0].Pts);
    }

    [Fact]
    public void Demux_FramesBeforeSequenceHeader_DroppedAndCounted()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();

        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 1, 0, Nal), sink);
        demuxer.Demux(FlvTagType.Audio, 0, AacTag(1, [0x21, 0x00]), sink);
        demuxer.Demux(FlvTagType.Video, 33, AvcTag(1, 0, 0, AvcMain), sink);
        demuxer.Demux(FlvTagType.Video, 33, AvcTag(1, 1, 0, Nal), sink);

        Assert.Equal(2, demuxer.DroppedBeforeConfig);
        Assert.Single(sink.Units);
        Assert.Single(sink.Configs);
    }

    [Fact]
    public void Demux_RepeatedIdenticalConfig_NotReportedAgain()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();

        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 0, 0, AvcMain), sink);
        CodecConfig first = demuxer.Video!;
        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 0, 0, AvcMain), sink);
        demuxer.Demux(FlvTagType.Audio, 0, AacTag(0, Golden.Hex(Golden.AscLc44100Stereo)), sink);
        demuxer.Demux(FlvTagType.Audio, 0, AacTag(0, Golden.Hex(Golden.AscLc44100Stereo)), sink);

        Assert.Equal(2, sink.Configs.Count);
        Assert.Same(first, demuxer.Video);
    }

    [Fact]
    public void Demux_ChangedConfig_ReportedAndUsedForLaterUnits()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();

        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 0, 0, AvcMain), sink);
        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 1, 0, Nal), sink);
        demuxer.Demux(FlvTagType.Video, 40, AvcTag(1, 0, 0, Golden.Hex(Golden.AvcBaseline360)), sink);
        demuxer.Demux(FlvTagType.Video, 40, AvcTag(1, 1, 0, Nal), sink);

        Assert.Equal(2, sink.Configs.Count);
        Assert.Equal(1920, sink.Units[0].Config.Width);
        Assert.Equal(640, sink.Units[1].Config.Width);
        Assert.Same(sink.Configs[1], demuxer.Video);
    }

    [Fact]
    public void Demux_DtsGoesBackwards_ClampedAndReported()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();
        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 0, 0, AvcMain), sink);

        demuxer.Demux(FlvTagType.Video, 1000, AvcTag(1, 1, 0, Nal), sink);
        demuxer.Demux(FlvTagType.Video, 990, AvcTag(2, 1, 20, Nal), sink);
        demuxer.Demux(FlvTagType.Video, 1040, AvcTag(2, 1, 0, Nal), sink);

        Assert.Equal(new[] { 90_000L, 90_000L, 93_600L }, sink.Units.Select(u => u.Dts));
        Assert.Equal(91_800L, sink.Units[1].Pts); // (1000 + 20) * 90: the repaired DTS keeps its composition offset
        Assert.Equal([(MediaKind.Video, 990L, 1000L)], sink.Repairs);
    }

    [Fact]
    public void Demux_AudioBehindVideo_TracksClampedSeparately()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();
        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 0, 0, AvcMain), sink);
        demuxer.Demux(FlvTagType.Audio, 0, AacTag(0, Golden.Hex(Golden.AscLc48000Mono)), sink);

        demuxer.Demux(FlvTagType.Video, 1000, AvcTag(1, 1, 0, Nal), sink);
        demuxer.Demux(FlvTagType.Audio, 980, AacTag(1, [0x21]), sink);

        Assert.Empty(sink.Repairs);
        Assert.Equal(47_040, sink.Units[1].Dts); // 980 ms at 48 kHz
    }

    [Fact]
    public void Demux_Ffmpeg31BitWrapAcrossTracks_ContinuesForward()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();
        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 0, 0, AvcMain), sink);
        demuxer.Demux(FlvTagType.Audio, 0, AacTag(0, Golden.Hex(Golden.AscLc48000Mono)), sink);

        demuxer.Demux(FlvTagType.Video, 2_147_483_633, AvcTag(1, 1, 0, Nal), sink);
        demuxer.Demux(FlvTagType.Audio, 19, AacTag(1, [0x21]), sink);
        demuxer.Demux(FlvTagType.Video, 52, AvcTag(2, 1, 0, Nal), sink);

        Assert.Empty(sink.Repairs);
        Assert.Equal(((1L << 31) + 52) * 90, sink.Units[2].Dts);
        Assert.Equal(FlvDemuxer.MillisecondsToTicks((1L << 31) + 19, 48000), sink.Units[1].Dts);
    }

    [Fact]
    public void Demux_TimestampsWrappingForwardPastTheTimelineLimit_ThrowsTimestampOutOfRange()
    {
        // Each fall of more than 2^31 ms reads as a wrap of the 32-bit RTMP clock, so a publisher
        // that steps its timestamps by 2^31 - 1 moves the timeline ~24.9 days a message. At 48 kHz
        // ms * 48 000 overflows a long after 89 478 such messages and the DTS turned negative:
        // found while checking the flv fuzz target's monotonic-DTS invariant by hand.
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();
        demuxer.Demux(FlvTagType.Audio, 0, AacTag(0, Golden.Hex(Golden.AscLc48000Mono)), sink);

        var ex = Assert.Throws<MediaFormatException>(() =>
        {
            uint timestamp = 0;
            for (int i = 0; i < 100_000; i++, timestamp += int.MaxValue)
            {
                demuxer.Demux(FlvTagType.Audio, timestamp, AacTag(1, [0x21]), sink);
            }
        });

        Assert.Equal(MediaErrorReason.TimestampOutOfRange, ex.Reason);
        Assert.Equal((FlvDemuxer.MaxTimelineMs / int.MaxValue) + 1, sink.Units.Count);
        Assert.True(sink.Units.Zip(sink.Units.Skip(1)).All(p => p.First.Dts < p.Second.Dts));
    }

    [Fact]
    public void Demux_TimestampsWrappingBackwardPastTheTimelineLimit_ThrowsTimestampOutOfRange()
    {
        // Falls of exactly 2^31 ms are steps back (a signed 32-bit delta): video is clamped at its
        // last DTS while the shared clock keeps falling, and an audio track starting there would
        // have had its first DTS overflow (ms * 48 000 below long.MinValue).
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();
        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 0, 0, AvcMain), sink);
        demuxer.Demux(FlvTagType.Audio, 0, AacTag(0, Golden.Hex(Golden.AscLc48000Mono)), sink);

        var ex = Assert.Throws<MediaFormatException>(() =>
        {
            uint timestamp = 0;
            for (int i = 0; i < 100_000; i++, timestamp += 1u << 31)
            {
                demuxer.Demux(FlvTagType.Video, timestamp, AvcTag(2, 1, 0, Nal), sink);
            }

            demuxer.Demux(FlvTagType.Audio, timestamp, AacTag(1, [0x21]), sink);
        });

        Assert.Equal(MediaErrorReason.TimestampOutOfRange, ex.Reason);
        Assert.DoesNotContain(sink.Units, u => u.Kind == MediaKind.Audio);
    }

    [Fact]
    public void Demux_EnhancedAvc1_SequenceStartAndCodedFramesWithCts()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();

        demuxer.Demux(FlvTagType.Video, 0, ExTag(1, 0, "avc1", null, AvcMain), sink);
        demuxer.Demux(FlvTagType.Video, 10, ExTag(1, 1, "avc1", 50, Nal), sink);
        demuxer.Demux(FlvTagType.Video, 20, ExTag(2, 3, "avc1", null, Nal), sink);

        Assert.Equal(MediaCodec.H264, Assert.Single(sink.Configs).Codec);
        Assert.Equal(1920, demuxer.Video!.Width);
        Assert.True(sink.Units[0].IsKeyframe);
        Assert.Equal(60 * 90, sink.Units[0].Pts);
        Assert.True(sink.Units[0].Payload.Span.SequenceEqual(Nal));
        Assert.False(sink.Units[1].IsKeyframe);
        Assert.Equal(sink.Units[1].Dts, sink.Units[1].Pts);
    }

    [Fact]
    public void Demux_EnhancedHvc1_ParsesHvccAndCodedFrames()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();

        demuxer.Demux(FlvTagType.Video, 0, ExTag(1, 0, "hvc1", null, Golden.File("hevc_720p.hvcC")), sink);
        demuxer.Demux(FlvTagType.Video, 0, ExTag(1, 1, "hvc1", 33, Nal), sink);

        Assert.Equal("hvc1.1.6.L93.90", demuxer.Video!.CodecString);
        Assert.Equal(33 * 90, Assert.Single(sink.Units).Pts);
    }

    [Fact]
    public void Demux_EnhancedAv01_CodedFramesHaveNoCompositionTime()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();
        byte[] obu = [0x12, 0x00, 0x32, 0x01, 0x10];

        demuxer.Demux(FlvTagType.Video, 0, ExTag(1, 0, "av01", null, Golden.Hex(Golden.Av1C360)), sink);
        demuxer.Demux(FlvTagType.Video, 40, ExTag(1, 1, "av01", null, obu), sink);

        Assert.Equal(MediaCodec.Av1, demuxer.Video!.Codec);
        AccessUnit unit = Assert.Single(sink.Units);
        Assert.Equal(40 * 90, unit.Pts);
        Assert.True(unit.Payload.Span.SequenceEqual(obu));
    }

    [Fact]
    public void Demux_EnhancedFramesOfAnotherCodec_DroppedBeforeConfig()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();
        demuxer.Demux(FlvTagType.Video, 0, ExTag(1, 0, "avc1", null, AvcMain), sink);

        demuxer.Demux(FlvTagType.Video, 0, ExTag(1, 1, "hvc1", 0, Nal), sink);

        Assert.Empty(sink.Units);
        Assert.Equal(1, demuxer.DroppedBeforeConfig);
    }

    [Theory]
    [InlineData(new byte[] { 0x91, (byte)'v', (byte)'p', (byte)'0', (byte)'9', 1, 2 })] // vp09 CodedFrames
    [InlineData(new byte[] { 0x96, 0x00, (byte)'a', (byte)'v', (byte)'c', (byte)'1' })] // v2 Multitrack
    [InlineData(new byte[] { 0x97, 0x00, 0x00, 0x01 })] // v2 ModEx
    [InlineData(new byte[] { 0x12, 0x00, 0x00 })] // legacy CodecID 2 (Sorenson H.263)
    public void Demux_UnsupportedVideo_ThrowsUnsupportedCodec(byte[] tag)
    {
        var ex = Assert.Throws<MediaFormatException>(() => new FlvDemuxer().Demux(FlvTagType.Video, 0, tag, new RecordingSink()));
        Assert.Equal(MediaErrorReason.UnsupportedCodec, ex.Reason);
    }

    [Theory]
    [InlineData(new byte[] { 0x2F, 0xFF })] // MP3
    [InlineData(new byte[] { 0x9F, (byte)'O', (byte)'p', (byte)'u', (byte)'s' })] // Enhanced RTMP v2 ExHeader audio
    public void Demux_UnsupportedAudio_ThrowsUnsupportedCodec(byte[] tag)
    {
        var ex = Assert.Throws<MediaFormatException>(() => new FlvDemuxer().Demux(FlvTagType.Audio, 0, tag, new RecordingSink()));
        Assert.Equal(MediaErrorReason.UnsupportedCodec, ex.Reason);
    }

    [Theory]
    [InlineData(FlvTagType.Video, new byte[] { 0x17, 0x01, 0x00 })]
    [InlineData(FlvTagType.Video, new byte[] { 0x90, (byte)'a', (byte)'v' })]
    [InlineData(FlvTagType.Video, new byte[] { 0x91, (byte)'a', (byte)'v', (byte)'c', (byte)'1', 0x00 })]
    [InlineData(FlvTagType.Audio, new byte[] { 0xAF })]
    public void Demux_TagShorterThanHeader_ThrowsTruncatedTag(FlvTagType type, byte[] tag)
    {
        var ex = Assert.Throws<MediaFormatException>(() => new FlvDemuxer().Demux(type, 0, tag, new RecordingSink()));
        Assert.Equal(MediaErrorReason.TruncatedTag, ex.Reason);
    }

    [Theory]
    [InlineData(FlvTagType.Video, new byte[] { 0x17, 0x03, 0, 0, 0 })]
    [InlineData(FlvTagType.Audio, new byte[] { 0xAF, 0x02 })]
    [InlineData(FlvTagType.Video, new byte[] { 0x9F, (byte)'a', (byte)'v', (byte)'c', (byte)'1' })]
    public void Demux_UndefinedPacketType_ThrowsInvalidPacketType(FlvTagType type, byte[] tag)
    {
        var ex = Assert.Throws<MediaFormatException>(() => new FlvDemuxer().Demux(type, 0, tag, new RecordingSink()));
        Assert.Equal(MediaErrorReason.InvalidPacketType, ex.Reason);
    }

    [Fact]
    public void Demux_EmptyScriptCommandAndEndOfSequence_Ignored()
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();

        demuxer.Demux(FlvTagType.Audio, 0, ReadOnlyMemory<byte>.Empty, sink);
        demuxer.Demux(FlvTagType.Video, 0, ReadOnlyMemory<byte>.Empty, sink);
        demuxer.Demux(FlvTagType.ScriptData, 0, new byte[] { 2, 0, 10 }, sink);
        demuxer.Demux(FlvTagType.Video, 0, new byte[] { 0x57, 0x00 }, sink); // legacy video info/command frame
        demuxer.Demux(FlvTagType.Video, 0, new byte[] { 0xD1, 0x00 }, sink); // enhanced command frame
        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 0, 0, AvcMain), sink);
        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 2, 0, []), sink); // AVC end of sequence
        demuxer.Demux(FlvTagType.Video, 0, ExTag(1, 4, "avc1", null, [2, 0, 9]), sink); // Metadata

        Assert.Single(sink.Configs);
        Assert.Empty(sink.Units);
        Assert.Equal(0, demuxer.DroppedBeforeConfig);
    }

    [Theory]
    [InlineData(0, 44100, 0)]
    [InlineData(44, 44100, 1940)] // 1940.4
    [InlineData(67, 44100, 2955)] // 2954.7
    [InlineData(10, 44100, 441)]
    [InlineData(1, 22050, 22)] // 22.05
    [InlineData(1, 7350, 7)] // 7.35
    [InlineData(1, 8500, 9)] // 8.5 rounds up
    [InlineData(-1, 8500, -9)]
    public void MillisecondsToTicks_RoundsToNearest(long ms, int rate, long ticks)
    {
        Assert.Equal(ticks, FlvDemuxer.MillisecondsToTicks(ms, rate));
    }
}
