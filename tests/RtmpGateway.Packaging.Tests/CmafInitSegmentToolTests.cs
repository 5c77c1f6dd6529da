using RtmpGateway.Media;
using RtmpGateway.Packaging.Cmaf;

namespace RtmpGateway.Packaging.Tests;

/// <summary>
/// Sample entries compared byte for byte with the ones ffmpeg's mp4 muxer writes for the same input
/// (<c>-c copy -f mp4 -movflags +frag_keyframe+empty_moov+default_base_moof+cmaf</c>).
/// </summary>
[Trait("Category", "Tool")]
public sealed class CmafInitSegmentToolTests
{
    private const string StsdPath = "moov/trak/mdia/minf/stbl/stsd";

    [Fact]
    public void Write_H264_Avc1AndAvcCEqualFfmpegs()
    {
        MediaFixture.Demuxed flv = MediaFixture.DemuxFlv("h264_aac.flv");
        byte[] ffmpeg = FfmpegFragmentedMp4(MediaFixture.DataPath("h264_aac.flv"), "0:v");
        byte[] ours = CmafInitSegment.Write(flv.Video!);

        Assert.Equal(TestBoxes.Find(ffmpeg, StsdPath + "/avc1/avcC"), TestBoxes.Find(ours, StsdPath + "/avc1/avcC"));
        // The 78 bytes of SampleEntry + VisualSampleEntry fields: reserved, data_reference_index, width, height,
        // 72 dpi, frame_count 1, compressorname, depth 0x18, pre_defined -1.
        Assert.Equal(VisualFields(ffmpeg, "avc1"), VisualFields(ours, "avc1"));
    }

    [Fact]
    public void Write_Hevc_HvcCEqualsWhatFfmpegWritesWhenRemuxingUs()
    {
        // FFmpeg 5.1 cannot read HEVC from FLV, so ffmpeg remuxes our own CMAF output: it parses our hvcC into
        // its extradata and writes a fresh hvcC with its own writer (libavformat hevc.c), which must come out equal.
        MediaFixture.Demuxed flv = MediaFixture.DemuxFlv("hevc.flv");
        CodecConfig config = flv.Video!;
        string ours = MediaFixture.TempFile("ours-hevc.mp4");
        File.WriteAllBytes(ours, MediaFixture.WriteTrack(config, MediaFixture.ToSamples(config, flv.VideoUnits), chunkSamples: 25));
        byte[] ffmpeg = FfmpegFragmentedMp4(ours, "0:v", "-tag:v", "hvc1");
        byte[] init = CmafInitSegment.Write(config);

        Assert.Equal(TestBoxes.Find(ffmpeg, StsdPath + "/hvc1/hvcC"), TestBoxes.Find(init, StsdPath + "/hvc1/hvcC"));
        Assert.Equal(VisualFields(ffmpeg, "hvc1"), VisualFields(init, "hvc1"));
    }

    [Fact]
    public void Write_Aac_Mp4aAndEsdsEqualFfmpegsButForEsIdAndBitrates()
    {
        MediaFixture.Demuxed flv = MediaFixture.DemuxFlv("h264_aac.flv");
        byte[] ffmpeg = FfmpegFragmentedMp4(MediaFixture.DataPath("h264_aac.flv"), "0:a");
        byte[] ours = CmafInitSegment.Write(flv.Audio!);

        byte[] theirEsds = TestBoxes.Find(ffmpeg, StsdPath + "/mp4a/esds");
        byte[] ourEsds = TestBoxes.Find(ours, StsdPath + "/mp4a/esds");
        Assert.Equal(theirEsds.Length, ourEsds.Length);

        // esds: 12-byte FullBox header, then ES_Descriptor tag + 4-byte size (5), so ES_ID is at 17..18;
        // DecoderConfigDescriptor starts at 20: tag + size (5), objectTypeIndication, streamType byte,
        // bufferSizeDB (3), then maxBitrate at 30..33 and avgBitrate at 34..37. ffmpeg puts its track_ID in
        // ES_ID and the encoder's bit rate in the bitrates; we write 0 (unknown when the header is written).
        Assert.Equal([0, 0], ourEsds[17..19]);
        Assert.Equal(new byte[8], ourEsds[30..38]);
        Array.Clear(theirEsds, 17, 2);
        Array.Clear(theirEsds, 30, 8);
        Assert.Equal(theirEsds, ourEsds);

        // AudioSampleEntry fields: reserved, data_reference_index 1, channelcount 2, samplesize 16, samplerate 48000 << 16.
        byte[] theirs = TestBoxes.Find(ffmpeg, StsdPath + "/mp4a");
        byte[] mine = TestBoxes.Find(ours, StsdPath + "/mp4a");
        Assert.Equal(theirs[4..36], mine[4..36]); // without the size: ffmpeg adds a 'btrt' child
    }

    /// <summary>The entry's type and fields, without its size: ffmpeg also adds 'pasp' and 'btrt' children.</summary>
    private static byte[] VisualFields(byte[] file, string entry) => TestBoxes.Find(file, StsdPath + "/" + entry)[4..86];

    private static byte[] FfmpegFragmentedMp4(string input, string map, params string[] extra)
    {
        string output = MediaFixture.TempFile("ffmpeg.mp4");
        (int code, _, string stderr) = MediaFixture.Run(
            "ffmpeg",
            ["-v", "error", "-y", "-i", input, "-map", map, "-c", "copy", .. extra, "-f", "mp4",
             "-movflags", "+frag_keyframe+empty_moov+default_base_moof+cmaf", output]);
        Assert.True(code == 0, stderr);
        return File.ReadAllBytes(output);
    }
}
