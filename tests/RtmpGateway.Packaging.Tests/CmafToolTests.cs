using System.Text.Json;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Cmaf;

namespace RtmpGateway.Packaging.Tests;

/// <summary>
/// Real media through the writers, checked by ffprobe and ffmpeg reading the result (never by our own reader).
/// Data/h264_aac.flv: ffmpeg -f lavfi -i testsrc2=size=320x180:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000
/// -t 4 -c:v libx264 -preset veryfast -b:v 150k -g 30 -pix_fmt yuv420p -c:a aac -b:a 64k -ac 2 -f flv h264_aac.flv
/// (x264 with B-frames, so composition offsets are present). Data/hevc.flv: see Data/make-hevc-flv.py.
/// Data/aac96k.flv: ffmpeg -f lavfi -i sine=frequency=1000:sample_rate=96000 -t 0.5 -c:a aac -ac 2 -b:a 96k -f flv aac96k.flv.
/// </summary>
[Trait("Category", "Tool")]
public sealed class CmafToolTests
{
    [Fact]
    public void WriteChunk_H264PartsOfGopSegments_FfprobeReadsEverySampleBack()
    {
        MediaFixture.Demuxed flv = MediaFixture.DemuxFlv("h264_aac.flv");
        CodecConfig config = flv.Video!;
        List<CmafSample> samples = MediaFixture.ToSamples(config, flv.VideoUnits);
        Assert.Contains(samples, s => s.CompositionOffset > 0); // the B-frame case is exercised
        Assert.True(samples.Count(s => s.IsSync) >= 4);

        string path = MediaFixture.TempFile("h264.mp4");
        File.WriteAllBytes(path, MediaFixture.WriteTrack(config, samples, chunkSamples: 8));

        JsonElement probe = MediaFixture.Probe(path);
        JsonElement stream = probe.GetProperty("streams")[0];
        Assert.Equal("h264", stream.GetProperty("codec_name").GetString());
        Assert.Equal(320, stream.GetProperty("width").GetInt32());
        Assert.Equal(180, stream.GetProperty("height").GetInt32());
        Assert.Equal("1/90000", stream.GetProperty("time_base").GetString());
        MediaFixture.AssertPacketsEqual(samples, probe);
        MediaFixture.AssertDecodesCleanly(path);
    }

    [Fact]
    public void WriteChunk_HevcFromEnhancedRtmp_FfprobeReadsEverySampleBack()
    {
        MediaFixture.Demuxed flv = MediaFixture.DemuxFlv("hevc.flv");
        CodecConfig config = flv.Video!;
        Assert.Equal(MediaCodec.Hevc, config.Codec);
        List<CmafSample> samples = MediaFixture.ToSamples(config, flv.VideoUnits);

        string path = MediaFixture.TempFile("hevc.mp4");
        File.WriteAllBytes(path, MediaFixture.WriteTrack(config, samples, chunkSamples: 5));

        JsonElement probe = MediaFixture.Probe(path);
        JsonElement stream = probe.GetProperty("streams")[0];
        Assert.Equal("hevc", stream.GetProperty("codec_name").GetString());
        Assert.Equal("hvc1", stream.GetProperty("codec_tag_string").GetString());
        Assert.Equal(320, stream.GetProperty("width").GetInt32());
        Assert.Equal(180, stream.GetProperty("height").GetInt32());
        MediaFixture.AssertPacketsEqual(samples, probe);
        MediaFixture.AssertDecodesCleanly(path);
    }

    [Fact]
    public void WriteChunk_Aac48k_FfprobeReadsEverySampleBack()
    {
        MediaFixture.Demuxed flv = MediaFixture.DemuxFlv("h264_aac.flv");
        CodecConfig config = flv.Audio!;
        List<CmafSample> samples = MediaFixture.ToSamples(config, flv.AudioUnits);

        string path = MediaFixture.TempFile("aac.mp4");
        File.WriteAllBytes(path, MediaFixture.WriteTrack(config, samples, chunkSamples: 12, segmentSamples: 47));

        JsonElement probe = MediaFixture.Probe(path);
        JsonElement stream = probe.GetProperty("streams")[0];
        Assert.Equal("aac", stream.GetProperty("codec_name").GetString());
        Assert.Equal("1/48000", stream.GetProperty("time_base").GetString());
        MediaFixture.AssertPacketsEqual(samples, probe);
        MediaFixture.AssertDecodesCleanly(path);
    }

    [Theory]
    [InlineData("h264_aac.flv", "48000", 2)]
    [InlineData("aac96k.flv", "96000", 2)]
    public void WriteInit_Mp4aAtSampleRate_FfprobeReportsRateAndChannels(string file, string rate, int channels)
    {
        MediaFixture.Demuxed flv = MediaFixture.DemuxFlv(file);
        CodecConfig config = flv.Audio!;
        List<CmafSample> samples = MediaFixture.ToSamples(config, flv.AudioUnits);
        string path = MediaFixture.TempFile("audio.mp4");
        File.WriteAllBytes(path, MediaFixture.WriteTrack(config, samples, chunkSamples: 10));

        JsonElement stream = MediaFixture.Probe(path).GetProperty("streams")[0];
        Assert.Equal(rate, stream.GetProperty("sample_rate").GetString());
        Assert.Equal(channels, stream.GetProperty("channels").GetInt32());
        Assert.Equal("1/" + rate, stream.GetProperty("time_base").GetString());
        MediaFixture.AssertDecodesCleanly(path);
    }

    [Fact]
    public void WriteChunk_StypThenTwoChunks_FfprobeReadsOneSegmentAfterInit()
    {
        MediaFixture.Demuxed flv = MediaFixture.DemuxFlv("h264_aac.flv");
        CodecConfig config = flv.Video!;
        List<CmafSample> gop = [.. MediaFixture.ToSamples(config, flv.VideoUnits).Take(30)];
        Assert.True(gop[0].IsSync);
        Assert.DoesNotContain(gop.Skip(1), s => s.IsSync);

        // A segment the way an LL-HLS server hands it out: styp + part 1 + part 2, appended to the init.
        byte[] init = CmafInitSegment.Write(config);
        byte[] chunk1 = CmafFragment.WriteChunk(config, 41, gop.GetRange(0, 13));
        byte[] chunk2 = CmafFragment.WriteChunk(config, 42, gop.GetRange(13, 17));
        string path = MediaFixture.TempFile("segment.mp4");
        File.WriteAllBytes(path, [.. init, .. CmafFragment.SegmentTypeBox, .. chunk1, .. chunk2]);

        MediaFixture.AssertPacketsEqual(gop, MediaFixture.Probe(path));
        MediaFixture.AssertDecodesCleanly(path);
    }
}
