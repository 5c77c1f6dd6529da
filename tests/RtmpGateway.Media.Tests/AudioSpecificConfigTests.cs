namespace RtmpGateway.Media.Tests;

public class AudioSpecificConfigTests
{
    // ffmpeg -f lavfi -i sine=sample_rate=44100 -t 0.2 -af "pan=2.1|c0=c0|c1=c0|c2=c0" -c:a aac -f flv out.flv
    // (ffprobe: 44100 Hz, 3 channels, 2.1): channelConfiguration 0, a program_config_element with one CPE
    // and one LFE, the comment "Lavc59.37.100", then the 0x2b7 sync extension.
    private const string AscPce21 = "12000504010020000d4c61766335392e33372e31303056e500";

    [Fact]
    public void Parse_FfmpegLc44100Stereo_ReadsLcWithExplicitNoSbr()
    {
        AudioSpecificConfig asc = AudioSpecificConfig.Parse(Golden.Hex(Golden.AscLc44100Stereo));

        Assert.Equal(2, asc.AudioObjectType);
        Assert.Equal(4, asc.SamplingFrequencyIndex);
        Assert.Equal(44100, asc.SamplingFrequency);
        Assert.Equal(2, asc.ChannelConfiguration);
        Assert.Equal(2, asc.Channels);
        Assert.False(asc.FrameLengthFlag);
        Assert.Equal(1024, asc.FrameLength);
        // 0x56e5 00: syncExtensionType 0x2b7, extensionAudioObjectType 5, sbrPresentFlag 0.
        Assert.Equal(5, asc.ExtensionObjectType);
        Assert.Equal(0, asc.SbrPresent);
    }

    [Fact]
    public void FromAudioSpecificConfig_FfmpegLc44100Stereo_GivesMp4a402()
    {
        CodecConfig config = CodecConfig.FromAudioSpecificConfig(Golden.Hex(Golden.AscLc44100Stereo));

        Assert.Equal(MediaKind.Audio, config.Kind);
        Assert.Equal(MediaCodec.Aac, config.Codec);
        Assert.Equal(2, config.TrackId);
        Assert.Equal("mp4a.40.2", config.CodecString);
        Assert.Equal(44100, config.SampleRate);
        Assert.Equal(44100, config.Timescale);
        Assert.Equal(2, config.Channels);
        Assert.Equal(2, config.Profile);
    }

    [Fact]
    public void Parse_FfmpegLc48000Mono_ReadsRateAndChannels()
    {
        AudioSpecificConfig asc = AudioSpecificConfig.Parse(Golden.Hex(Golden.AscLc48000Mono));

        Assert.Equal(48000, asc.SamplingFrequency);
        Assert.Equal(1, asc.Channels);
    }

    [Fact]
    public void Parse_FfmpegProgramConfigElement_CountsThreeChannels()
    {
        AudioSpecificConfig asc = AudioSpecificConfig.Parse(Golden.Hex(AscPce21));

        Assert.Equal(0, asc.ChannelConfiguration);
        Assert.Equal(3, asc.Channels);
        Assert.Equal(44100, asc.SamplingFrequency);
        Assert.Equal(0, asc.SbrPresent); // the sync extension after the PCE's comment is still found
    }

    // The cases below are written bit by bit from the 14496-3 1.6.2.1 syntax.
    [Fact]
    public void Parse_ExplicitHeAac_ReportsSbrAndExtensionRate()
    {
        // AOT 5 | sfi 6 (24000) | ch 2 | extension sfi 3 (48000) | AOT 2 | GASpecificConfig 000
        AudioSpecificConfig asc = AudioSpecificConfig.Parse(Golden.Hex("2b118800"));

        Assert.Equal(5, asc.AudioObjectType);
        Assert.Equal(2, asc.CoreObjectType);
        Assert.Equal(24000, asc.SamplingFrequency);
        Assert.Equal(48000, asc.ExtensionSamplingFrequency);
        Assert.Equal(1, asc.SbrPresent);
        Assert.Equal(-1, asc.PsPresent);
        Assert.Equal("mp4a.40.5", CodecConfig.FromAudioSpecificConfig(Golden.Hex("2b118800")).CodecString);
    }

    [Fact]
    public void Parse_ExplicitHeAacV2_ReportsPs()
    {
        // AOT 29 | sfi 6 | ch 1 | extension sfi 3 | AOT 2 | 000
        AudioSpecificConfig asc = AudioSpecificConfig.Parse(Golden.Hex("eb098800"));

        Assert.Equal(29, asc.AudioObjectType);
        Assert.Equal(1, asc.SbrPresent);
        Assert.Equal(1, asc.PsPresent);
        Assert.Equal(1, asc.Channels);
    }

    [Fact]
    public void Parse_EscapedObjectType_Reads32PlusExtension()
    {
        // AOT 31 + 6-bit 10 = 42 | sfi 4 | ch 2
        AudioSpecificConfig asc = AudioSpecificConfig.Parse(Golden.Hex("f94840"));

        Assert.Equal(42, asc.AudioObjectType);
        Assert.Equal(44100, asc.SamplingFrequency);
        Assert.Equal(2, asc.Channels);
    }

    [Fact]
    public void Parse_ExplicitFrequency_Reads24BitValue()
    {
        // AOT 2 | sfi 0xf | samplingFrequency 64000 (24 bits) | ch 2 | 000
        AudioSpecificConfig asc = AudioSpecificConfig.Parse(Golden.Hex("17807d0010"));

        Assert.Equal(15, asc.SamplingFrequencyIndex);
        Assert.Equal(64000, asc.SamplingFrequency);
        Assert.Equal(2, asc.Channels);
    }

    [Fact]
    public void Parse_FrameLengthFlagSet_Gives960()
    {
        // AOT 2 | sfi 3 | ch 2 | frameLengthFlag 1 | dependsOnCoreCoder 0 | extensionFlag 0
        AudioSpecificConfig asc = AudioSpecificConfig.Parse(Golden.Hex("1194"));

        Assert.True(asc.FrameLengthFlag);
        Assert.Equal(960, asc.FrameLength);
        Assert.Equal(-1, asc.SbrPresent);
    }

    [Theory]
    [InlineData("0210")] // audioObjectType 0 (Null)
    [InlineData("16 90")] // samplingFrequencyIndex 0xd (reserved)
    [InlineData("1240")] // channelConfiguration 8 (reserved)
    [InlineData("17800000 10")] // explicit samplingFrequency 0
    public void Parse_ReservedValues_ThrowAscMalformed(string hex)
    {
        var ex = Assert.Throws<MediaFormatException>(() => AudioSpecificConfig.Parse(Golden.Hex(hex)));
        Assert.Equal(MediaErrorReason.AscMalformed, ex.Reason);
    }
}
