namespace RtmpGateway.Media.Tests;

public class StreamMetadataTests
{
    [Fact]
    public void FromProperties_FfmpegOnMetaData_ReadsKnownFields()
    {
        // The names and types of ffmpeg's flv muxer onMetaData (AMF numbers as double).
        var props = new Dictionary<string, object?>
        {
            ["duration"] = 0.0,
            ["width"] = 1280.0,
            ["height"] = 720.0,
            ["videodatarate"] = 0.0,
            ["framerate"] = 30.0,
            ["videocodecid"] = 7.0,
            ["audiodatarate"] = 128.0,
            ["audiosamplerate"] = 44100.0,
            ["audiosamplesize"] = 16.0,
            ["stereo"] = true,
            ["audiocodecid"] = 10.0,
            ["encoder"] = "Lavf59.27.100",
            ["filesize"] = 0.0,
        };

        StreamMetadata m = StreamMetadata.FromProperties(props);

        Assert.Equal(1280.0, m.Width);
        Assert.Equal(720.0, m.Height);
        Assert.Equal(30.0, m.FrameRate);
        Assert.Equal(0.0, m.VideoDataRate);
        Assert.Equal(128.0, m.AudioDataRate);
        Assert.Equal(44100.0, m.AudioSampleRate);
        Assert.Equal("Lavf59.27.100", m.Encoder);
        Assert.Equal(7.0, m.VideoCodecId);
        Assert.Equal(10.0, m.AudioCodecId);
        Assert.Equal(true, m.Properties["stereo"]);
        Assert.Equal(13, m.Properties.Count);
    }

    [Fact]
    public void FromProperties_WrongTypesAndMissing_GiveNull()
    {
        StreamMetadata m = StreamMetadata.FromProperties(
        [
            new("width", true),
            new("height", null),
            new("framerate", double.NaN),
            new("encoder", 5.0),
            new("videocodecid", "avc1"),
        ]);

        Assert.Null(m.Width);
        Assert.Null(m.Height);
        Assert.Null(m.FrameRate);
        Assert.Null(m.AudioSampleRate);
        Assert.Null(m.Encoder);
        Assert.Equal("avc1", m.VideoCodecId);
    }

    [Fact]
    public void FromProperties_DuplicateKey_LastWins()
    {
        StreamMetadata m = StreamMetadata.FromProperties([new("width", 640.0), new("width", 1920.0)]);

        Assert.Equal(1920.0, m.Width);
    }
}
