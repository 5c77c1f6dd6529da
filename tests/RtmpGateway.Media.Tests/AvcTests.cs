namespace RtmpGateway.Media.Tests;

public class AvcDecoderConfigurationRecordTests
{
    private static byte[] Avc720pRecord()
    {
        var tags = FlvFile.ReadTags(Golden.File("h264_720p_high_aac.flv"));
        return tags[1].Body[5..].ToArray();
    }

    [Fact]
    public void Parse_FfmpegHigh720p_ReadsHeaderListsAndExtension()
    {
        AvcDecoderConfigurationRecord avc = AvcDecoderConfigurationRecord.Parse(Avc720pRecord());

        Assert.Equal(100, avc.ProfileIndication);
        Assert.Equal(0, avc.ProfileCompatibility);
        Assert.Equal(31, avc.LevelIndication);
        Assert.Equal(4, avc.NalUnitLengthSize);
        Assert.Single(avc.SequenceParameterSets);
        Assert.Single(avc.PictureParameterSets);
        Assert.Equal(0x67, avc.SequenceParameterSets[0].Span[0]);
        Assert.Equal(0x68, avc.PictureParameterSets[0].Span[0]);
        Assert.True(avc.HasHighProfileExtension);
        Assert.Equal(1, avc.ChromaFormat);
        Assert.Equal(8, avc.BitDepthLuma);
        Assert.Equal(8, avc.BitDepthChroma);
        Assert.Empty(avc.SequenceParameterSetExts);
    }

    [Fact]
    public void Parse_MainProfileWithoutExtension_HasNoExtension()
    {
        AvcDecoderConfigurationRecord avc = AvcDecoderConfigurationRecord.Parse(Golden.Hex(Golden.AvcMain1080));

        Assert.Equal(77, avc.ProfileIndication);
        Assert.Equal(0x40, avc.ProfileCompatibility);
        Assert.Equal(40, avc.LevelIndication);
        Assert.False(avc.HasHighProfileExtension);
        Assert.Equal(-1, avc.ChromaFormat);
    }

    [Fact]
    public void Parse_High10_ExtensionGivesBitDepth10()
    {
        AvcDecoderConfigurationRecord avc = AvcDecoderConfigurationRecord.Parse(Golden.Hex(Golden.AvcHigh10));

        Assert.Equal(110, avc.ProfileIndication);
        Assert.True(avc.HasHighProfileExtension);
        Assert.Equal(10, avc.BitDepthLuma);
        Assert.Equal(10, avc.BitDepthChroma);
    }

    [Fact]
    public void Parse_VersionNotOne_ThrowsAvcConfigMalformed()
    {
        byte[] record = Golden.Hex(Golden.AvcMain1080);
        record[0] = 2;

        var ex = Assert.Throws<MediaFormatException>(() => AvcDecoderConfigurationRecord.Parse(record));
        Assert.Equal(MediaErrorReason.AvcConfigMalformed, ex.Reason);
    }

    [Fact]
    public void Parse_LengthSizeThreeBytes_ThrowsAvcConfigMalformed()
    {
        byte[] record = Golden.Hex(Golden.AvcMain1080);
        record[4] = 0xFE; // lengthSizeMinusOne = 2

        var ex = Assert.Throws<MediaFormatException>(() => AvcDecoderConfigurationRecord.Parse(record));
        Assert.Equal(MediaErrorReason.AvcConfigMalformed, ex.Reason);
    }

    [Fact]
    public void Parse_SpsLengthBeyondRecord_ThrowsAvcConfigMalformed()
    {
        byte[] record = Golden.Hex(Golden.AvcMain1080);
        record[6] = 0xFF; // sequenceParameterSetLength high byte

        var ex = Assert.Throws<MediaFormatException>(() => AvcDecoderConfigurationRecord.Parse(record));
        Assert.Equal(MediaErrorReason.AvcConfigMalformed, ex.Reason);
    }

    [Fact]
    public void Parse_HugeDeclaredCounts_ThrowsWithoutPresizing()
    {
        // 31 SPS declared, none present.
        var ex = Assert.Throws<MediaFormatException>(() => AvcDecoderConfigurationRecord.Parse([1, 100, 0, 31, 0xFF, 0xFF]));
        Assert.Equal(MediaErrorReason.AvcConfigMalformed, ex.Reason);
    }

    [Fact]
    public void FromAvcRecord_FfmpegHigh720p_GivesSizeProfileLevelRateAndCodecString()
    {
        CodecConfig config = CodecConfig.FromAvcRecord(Avc720pRecord());

        Assert.Equal(MediaKind.Video, config.Kind);
        Assert.Equal(MediaCodec.H264, config.Codec);
        Assert.Equal(1, config.TrackId);
        Assert.Equal(90000, config.Timescale);
        Assert.Equal(1280, config.Width);
        Assert.Equal(720, config.Height);
        Assert.Equal(100, config.Profile);
        Assert.Equal(31, config.Level);
        Assert.Equal(30.0, config.FrameRate);
        Assert.Equal("avc1.64001f", config.CodecString);
        Assert.True(config.Record.Span.SequenceEqual(Avc720pRecord()));
        Assert.NotNull(config.Avc);
        Assert.NotNull(config.Sps);
    }

    [Theory]
    [InlineData(Golden.AvcMain1080, 1920, 1080, 77, 40, 25.0, "avc1.4d4028")]
    [InlineData(Golden.AvcBaseline360, 640, 360, 66, 30, 30.0, "avc1.42c01e")]
    [InlineData(Golden.AvcHigh444, 640, 480, 244, 30, 25.0, "avc1.f4001e")]
    [InlineData(Golden.AvcHigh10, 640, 360, 110, 31, 60.0, "avc1.6e001f")]
    [InlineData(Golden.AvcInterlaced1080, 1920, 1080, 100, 40, 25.0, "avc1.640028")]
    [InlineData(Golden.AvcSar720x576, 720, 576, 100, 30, 25.0, "avc1.64001e")]
    public void FromAvcRecord_FfmpegRecords_MatchFfprobe(string hex, int width, int height, int profile, int level, double fps, string codecs)
    {
        CodecConfig config = CodecConfig.FromAvcRecord(Golden.Hex(hex));

        Assert.Equal(width, config.Width);
        Assert.Equal(height, config.Height);
        Assert.Equal(profile, config.Profile);
        Assert.Equal(level, config.Level);
        Assert.Equal(fps, config.FrameRate);
        Assert.Equal(codecs, config.CodecString);
    }

    [Fact]
    public void FromAvcRecord_NoSps_ThrowsAvcConfigMalformed()
    {
        var ex = Assert.Throws<MediaFormatException>(() => CodecConfig.FromAvcRecord([1, 66, 0xC0, 30, 0xFF, 0xE0, 0]));
        Assert.Equal(MediaErrorReason.AvcConfigMalformed, ex.Reason);
    }

    [Fact]
    public void SameRecord_IdenticalBytes_TrueAndDifferentBytes_False()
    {
        CodecConfig a = CodecConfig.FromAvcRecord(Golden.Hex(Golden.AvcMain1080));
        CodecConfig b = CodecConfig.FromAvcRecord(Golden.Hex(Golden.AvcMain1080));
        CodecConfig c = CodecConfig.FromAvcRecord(Golden.Hex(Golden.AvcBaseline360));

        Assert.True(a.SameRecord(b));
        Assert.False(a.SameRecord(c));
        Assert.False(a.SameRecord(null));
    }
}

public class H264SpsTests
{
    // Made by Data/craft_sps.py from the 14496-10 syntax; ffmpeg's trace_headers reads back
    // seq_scaling_list_present_flag[0] = [6] = 1, pic_order_cnt_type 1 (offsets -1, 2; cycle 1, -3),
    // 1920x1088 with frame_crop_bottom_offset 4, aspect_ratio_idc 1, num_units_in_tick 1001, time_scale 60000.
    private const string SpsPoc1Scaling =
        "67640028ad98c6318c6318c6318c60080826318c6318c6318c6318c6318c6318c6318c6318c6318c6318c6318c6318c6318c6318c6318c63180202a32347280f0044fcb808800001f48000753042";

    // Same picture, pic_order_cnt_type 2, no scaling matrix.
    private const string SpsPoc2 = "67640028acb280f0044fcb808800001f480007530420";

    private static H264Sps FirstSps(string avcC) =>
        AvcDecoderConfigurationRecord.Parse(Golden.Hex(avcC)).ParseFirstSps()!;

    [Fact]
    public void Parse_ScalingListsAndPocType1_ReadsEveryField()
    {
        H264Sps sps = H264Sps.Parse(Golden.Hex(SpsPoc1Scaling));

        Assert.True(sps.SeqScalingMatrixPresent);
        Assert.Equal(1, sps.PicOrderCntType);
        Assert.Equal(4, sps.MaxNumRefFrames);
        Assert.Equal(1920, sps.Width);
        Assert.Equal(1080, sps.Height);
        Assert.Equal(1, sps.SarWidth);
        Assert.Equal(1, sps.SarHeight);
        Assert.Equal(1001u, sps.NumUnitsInTick);
        Assert.Equal(60000u, sps.TimeScale);
        Assert.True(sps.FixedFrameRate);
        Assert.Equal(60000 / 2002.0, sps.FrameRate);
    }

    [Fact]
    public void Parse_PocType2_ReadsSize()
    {
        H264Sps sps = H264Sps.Parse(Golden.Hex(SpsPoc2));

        Assert.Equal(2, sps.PicOrderCntType);
        Assert.False(sps.SeqScalingMatrixPresent);
        Assert.Equal(1920, sps.Width);
        Assert.Equal(1080, sps.Height);
    }

    [Fact]
    public void Parse_X264Main_PocType0AndCrop1088To1080()
    {
        H264Sps sps = FirstSps(Golden.AvcMain1080);

        Assert.Equal(0, sps.PicOrderCntType);
        Assert.Equal(120, sps.PicWidthInMbs);
        Assert.Equal(68, sps.PicHeightInMapUnits);
        Assert.Equal(4, sps.FrameCropBottom);
        Assert.Equal(1080, sps.Height);
        Assert.Equal(0x40, sps.ConstraintFlags);
    }

    [Fact]
    public void Parse_X264ConstrainedBaseline_PocType2AndConstraintFlags()
    {
        H264Sps sps = FirstSps(Golden.AvcBaseline360);

        Assert.Equal(66, sps.ProfileIdc);
        Assert.Equal(0xC0, sps.ConstraintFlags);
        Assert.Equal(2, sps.PicOrderCntType);
        Assert.Equal(640, sps.Width);
        Assert.Equal(360, sps.Height);
    }

    [Fact]
    public void Parse_X264High444_ChromaFormat3()
    {
        H264Sps sps = FirstSps(Golden.AvcHigh444);

        Assert.Equal(244, sps.ProfileIdc);
        Assert.Equal(3, sps.ChromaFormatIdc);
        Assert.Equal(640, sps.Width);
        Assert.Equal(480, sps.Height);
    }

    [Fact]
    public void Parse_X264High10_BitDepth10()
    {
        H264Sps sps = FirstSps(Golden.AvcHigh10);

        Assert.Equal(10, sps.BitDepthLuma);
        Assert.Equal(10, sps.BitDepthChroma);
        Assert.Equal(60.0, sps.FrameRate);
    }

    [Fact]
    public void Parse_X264Interlaced_FieldMapUnitsDoubleHeight()
    {
        H264Sps sps = FirstSps(Golden.AvcInterlaced1080);

        Assert.False(sps.FrameMbsOnly);
        Assert.Equal(34, sps.PicHeightInMapUnits);
        Assert.Equal(1080, sps.Height);
        Assert.Equal(25.0, sps.FrameRate);
    }

    [Fact]
    public void Parse_X264ExtendedSar_Reads16By15()
    {
        H264Sps sps = FirstSps(Golden.AvcSar720x576);

        Assert.Equal(255, sps.AspectRatioIdc);
        Assert.Equal(16, sps.SarWidth);
        Assert.Equal(15, sps.SarHeight);
    }

    [Fact]
    public void Parse_X264Sps_RemovesEmulationPreventionBytes()
    {
        // The x264 720p SPS carries 00 00 03 before its VUI timing fields; read with the 03 kept, time_scale would be wrong.
        AvcDecoderConfigurationRecord avc = AvcDecoderConfigurationRecord.Parse(
            FlvFile.ReadTags(Golden.File("h264_720p_high_aac.flv"))[1].Body[5..].Span);
        ReadOnlySpan<byte> nal = avc.SequenceParameterSets[0].Span;
        Assert.True(nal.IndexOf(new byte[] { 0, 0, 3 }) > 0);

        H264Sps sps = H264Sps.Parse(nal);

        Assert.Equal(1u, sps.NumUnitsInTick);
        Assert.Equal(60u, sps.TimeScale);
    }

    [Fact]
    public void Parse_NotAnSpsNal_ThrowsSpsMalformed()
    {
        var ex = Assert.Throws<MediaFormatException>(() => H264Sps.Parse([0x68, 0xEB, 0xE3, 0xCB]));
        Assert.Equal(MediaErrorReason.SpsMalformed, ex.Reason);
    }

    [Fact]
    public void Parse_CropLargerThanPicture_ThrowsSpsMalformed()
    {
        // Baseline, 16x16 (one macroblock), crop right 9 (18 samples).
        // profile 66, constraints 0, level 10, sps_id 0 (1), log2 frame num 0 (1), poc type 2 (011),
        // max refs 0 (1), gaps 0, width mbs-1 0 (1), height 0 (1), frame_mbs_only 1, direct 1, crop 1,
        // left 0 (1), right 9 (0001010), top 0 (1), bottom 0 (1), vui 0, stop bit.
        byte[] sps = [0x67, 66, 0, 10, 0b1_1_011_1_0_1, 0b1_1_1_1_1_000, 0b1010_1_1_0_1];
        var ex = Assert.Throws<MediaFormatException>(() => H264Sps.Parse(sps));
        Assert.Equal(MediaErrorReason.SpsMalformed, ex.Reason);
        Assert.Contains("cropping", ex.Message, StringComparison.Ordinal);
    }
}
