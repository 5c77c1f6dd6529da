namespace RtmpGateway.Media.Tests;

/// <summary>FLV file framing against a file ffmpeg wrote (Data/h264_720p_high_aac.flv: its first 9 tags).</summary>
public class FlvFileReaderTests
{
    private static byte[] File720p => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "h264_720p_high_aac.flv"));

    [Fact]
    public void ReadTags_FfmpegFile_GivesItsTagsInOrder()
    {
        List<FlvFileTag> tags = FlvFileReader.ReadTags(File720p);

        // ffmpeg writes onMetaData, the avcC, the AudioSpecificConfig, then media (README.md).
        Assert.Equal(9, tags.Count);
        Assert.Equal([FlvTagType.ScriptData, FlvTagType.Video, FlvTagType.Audio], tags.Take(3).Select(t => t.Type));
        Assert.Equal([0x17, 0x00], tags[1].Body[..2].ToArray()); // AVC keyframe, sequence header
        Assert.Equal([0xAF, 0x00], tags[2].Body[..2].ToArray()); // AAC, AudioSpecificConfig
        Assert.Equal(0x02, tags[0].Body.Span[0]); // script data starts with the AMF0 string "onMetaData"

        var demuxer = new FlvDemuxer();
        var sink = new CountingSink();
        foreach (FlvFileTag tag in tags)
        {
            demuxer.Demux(tag.Type, tag.Timestamp, tag.Body, sink);
        }

        Assert.Equal((1280, 720), (demuxer.Video!.Width, demuxer.Video.Height));
        Assert.True(sink.Units > 0);
    }

    [Fact]
    public void ReadTags_EveryTruncatedPrefix_ThrowsMediaFormatExceptionOrStopsAtATagBoundary()
    {
        byte[] file = File720p;
        for (int cut = 0; cut < file.Length; cut += 37)
        {
            try
            {
                List<FlvFileTag> tags = FlvFileReader.ReadTags(file.AsMemory(0, cut));
                Assert.All(tags, t => Assert.True(t.Body.Length >= 0));
            }
            catch (MediaFormatException)
            {
            }
        }
    }

    [Fact]
    public void ReadTags_NotFlv_Throws()
    {
        Assert.Throws<MediaFormatException>(() => FlvFileReader.ReadTags("GIF89a and more bytes"u8.ToArray()));
    }

    private sealed class CountingSink : IMediaSink
    {
        public int Units { get; private set; }

        public void OnCodecConfig(CodecConfig config)
        {
        }

        public void OnAccessUnit(in AccessUnit unit) => Units++;

        public void OnTimestampRepaired(MediaKind kind, long fromMs, long toMs)
        {
        }
    }
}
