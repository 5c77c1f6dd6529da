namespace RtmpGateway.Media.Tests;

public class HevcDecoderConfigurationRecordTests
{
    // hvcC of ffmpeg -f lavfi -i testsrc2=size=642x362:rate=25 -t 0.2 -c:v libx265 -x265-params info=0
    //   -pix_fmt yuv422p10le -f mp4 out.mp4 (ffprobe: Rext, level 63, 642x362; trace_headers: chroma_format_idc 2,
    //   pic 648x368, conf_win_right_offset 3, conf_win_bottom_offset 6).
    private const string Hvcc422Cropped =
        "0104080000009d08000000003ff000fcfefafa00000f03200001001740010c01ffff0408000003009d0800000300003f959809210001002b4201010408000003009d0800000300003fb005120171c93b65959a4932bc05a0200000030020000003032122000100074401c172b46240";

    [Fact]
    public void Parse_X265Main720p_ReadsHeaderArraysAndSize()
    {
        HevcDecoderConfigurationRecord hvcc = HevcDecoderConfigurationRecord.Parse(Golden.File("hevc_720p.hvcC"));

        Assert.Equal(0, hvcc.GeneralProfileSpace);
        Assert.False(hvcc.GeneralTierFlag);
        Assert.Equal(1, hvcc.GeneralProfileIdc);
        Assert.Equal(0x60000000u, hvcc.GeneralProfileCompatibilityFlags);
        Assert.Equal(0x900000000000UL, hvcc.GeneralConstraintIndicatorFlags);
        Assert.Equal(93, hvcc.GeneralLevelIdc);
        Assert.Equal(1, hvcc.ChromaFormat);
        Assert.Equal(8, hvcc.BitDepthLuma);
        Assert.Equal(4, hvcc.NalUnitLengthSize);
        Assert.Equal(new[] { 32, 33, 34, 39 }, hvcc.Arrays.Select(a => a.NalUnitType));
        Assert.All(hvcc.Arrays, a => Assert.Single(a.NalUnits));
        Assert.Equal(1280, hvcc.Width);
        Assert.Equal(720, hvcc.Height);
        Assert.NotNull(hvcc.Sps);
        Assert.Equal(1, hvcc.Sps.GeneralProfileIdc);
        Assert.Equal(93, hvcc.Sps.GeneralLevelIdc);
    }

    [Fact]
    public void FromHevcRecord_X265Main720p_GivesCodecString()
    {
        CodecConfig config = CodecConfig.FromHevcRecord(Golden.File("hevc_720p.hvcC"));

        Assert.Equal(MediaCodec.Hevc, config.Codec);
        Assert.Equal(1280, config.Width);
        Assert.Equal(720, config.Height);
        Assert.Equal(1, config.Profile);
        Assert.Equal(93, config.Level);
        Assert.Null(config.FrameRate); // x265 writes avgFrameRate 0
        // profile 1; compatibility 0x60000000 reversed = 0x6; Main tier level 93; constraint bytes 90 00 00 00 00 00.
        Assert.Equal("hvc1.1.6.L93.90", config.CodecString);
    }

    [Fact]
    public void Parse_X265Rext422_AppliesConformanceWindowWithSubWidthC()
    {
        HevcDecoderConfigurationRecord hvcc = HevcDecoderConfigurationRecord.Parse(Golden.Hex(Hvcc422Cropped));

        Assert.Equal(4, hvcc.GeneralProfileIdc);
        Assert.Equal(2, hvcc.ChromaFormat);
        Assert.Equal(10, hvcc.BitDepthLuma);
        Assert.Equal(648, hvcc.Sps!.PicWidthInLumaSamples);
        Assert.Equal(368, hvcc.Sps.PicHeightInLumaSamples);
        Assert.Equal(642, hvcc.Width);
        Assert.Equal(362, hvcc.Height);
        Assert.Equal("hvc1.4.10.L63.9D.8", hvcc.CodecString());
    }

    [Fact]
    public void Parse_NalLengthBeyondRecord_ThrowsHvcConfigMalformed()
    {
        byte[] record = Golden.Hex(Hvcc422Cropped);
        record[26] = 0x7F; // first nalUnitLength high byte: 0x7f17 bytes declared

        var ex = Assert.Throws<MediaFormatException>(() => HevcDecoderConfigurationRecord.Parse(record));
        Assert.Equal(MediaErrorReason.HvcConfigMalformed, ex.Reason);
    }

    [Fact]
    public void Parse_VersionNotOne_ThrowsHvcConfigMalformed()
    {
        byte[] record = Golden.Hex(Hvcc422Cropped);
        record[0] = 0;

        var ex = Assert.Throws<MediaFormatException>(() => HevcDecoderConfigurationRecord.Parse(record));
        Assert.Equal(MediaErrorReason.HvcConfigMalformed, ex.Reason);
    }
}

public class Av1CodecConfigurationRecordTests
{
    [Fact]
    public void Parse_LibaomRecord_ReadsFieldsAndSequenceHeaderSize()
    {
        Av1CodecConfigurationRecord av1 = Av1CodecConfigurationRecord.Parse(Golden.Hex(Golden.Av1C360));

        Assert.Equal(0, av1.SeqProfile);
        Assert.Equal(1, av1.SeqLevelIdx0);
        Assert.Equal(0, av1.SeqTier0);
        Assert.Equal(8, av1.BitDepth);
        Assert.False(av1.Monochrome);
        Assert.True(av1.ChromaSubsamplingX);
        Assert.True(av1.ChromaSubsamplingY);
        Assert.Null(av1.InitialPresentationDelayMinusOne);
        Assert.Equal(13, av1.ConfigObus.Length);
        Assert.Equal(640, av1.Width);
        Assert.Equal(360, av1.Height);
        Assert.Null(av1.FrameRate);
    }

    [Fact]
    public void FromAv1Record_LibaomRecord_GivesCodecString()
    {
        CodecConfig config = CodecConfig.FromAv1Record(Golden.Hex(Golden.Av1C360));

        Assert.Equal(MediaCodec.Av1, config.Codec);
        Assert.Equal("av01.0.01M.08", config.CodecString);
        Assert.Equal(640, config.Width);
        Assert.Equal(360, config.Height);
        Assert.Equal(0, config.Profile);
        Assert.Equal(1, config.Level);
    }

    [Fact]
    public void Parse_NoConfigObus_SizeZero()
    {
        // The four fixed bytes of the libaom record, configOBUs left out (the record allows none).
        Av1CodecConfigurationRecord av1 = Av1CodecConfigurationRecord.Parse(Golden.Hex("81010c00"));

        Assert.Equal(0, av1.Width);
        Assert.Equal(0, av1.Height);
    }

    [Fact]
    public void Parse_HighTenBitFlags_GiveBitDepth10AndHighTier()
    {
        // seq_profile 0, level 12 (5.0); tier 1, high_bitdepth 1, 4:2:0.
        Av1CodecConfigurationRecord av1 = Av1CodecConfigurationRecord.Parse(Golden.Hex("810ccc00"));

        Assert.Equal(10, av1.BitDepth);
        Assert.Equal("av01.0.12H.10", av1.CodecString());
    }

    [Fact]
    public void Parse_BadMarker_ThrowsAv1ConfigMalformed()
    {
        var ex = Assert.Throws<MediaFormatException>(() => Av1CodecConfigurationRecord.Parse(Golden.Hex("01010c00")));
        Assert.Equal(MediaErrorReason.Av1ConfigMalformed, ex.Reason);
    }

    [Fact]
    public void Parse_ObuSizeBeyondData_ThrowsAv1SequenceHeaderMalformed()
    {
        // obu_size 0x7f with 11 bytes present.
        byte[] record = Golden.Hex(Golden.Av1C360);
        record[5] = 0x7F;

        var ex = Assert.Throws<MediaFormatException>(() => Av1CodecConfigurationRecord.Parse(record));
        Assert.Equal(MediaErrorReason.Av1SequenceHeaderMalformed, ex.Reason);
    }
}
