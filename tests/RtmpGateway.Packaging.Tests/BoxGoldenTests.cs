using RtmpGateway.Media;
using RtmpGateway.Packaging.Boxes;
using RtmpGateway.Packaging.Cmaf;

namespace RtmpGateway.Packaging.Tests;

/// <summary>Small boxes pinned against bytes written out by hand from the ISO/IEC 14496-12 syntax.</summary>
public sealed class BoxGoldenTests
{
    private static readonly CodecConfig Video = MediaFixture.DemuxFlv("h264_aac.flv").Video!;
    private static readonly CodecConfig Audio = MediaFixture.DemuxFlv("h264_aac.flv").Audio!;

    [Fact]
    public void WriteChunk_TwoVideoSamples_MoofEqualsHandWrittenBytes()
    {
        CmafSample[] samples =
        [
            new(0x1_0000_0000, 3000, 3000, true, new byte[] { 1, 2, 3, 4, 5 }),
            new(0x1_0000_0BB8, 3000, -3000, false, new byte[] { 6, 7, 8 }),
        ];

        byte[] expected = Convert.FromHexString(string.Concat(
            "00000078", "6D6F6F66",                   // moof, 120 bytes
            "00000010", "6D666864", "00000000",       //   mfhd, version 0, flags 0
            "00000007",                               //     sequence_number 7
            "00000060", "74726166",                   //   traf, 96 bytes
            "00000010", "74666864", "00020000",       //     tfhd, version 0, flags default-base-is-moof
            "00000001",                               //       track_ID 1
            "00000014", "74666474", "01000000",       //     tfdt, version 1, flags 0
            "0000000100000000",                       //       baseMediaDecodeTime 2^32 (64-bit)
            "00000034", "7472756E", "01000F01",       //     trun, 52 bytes, version 1, data-offset|duration|size|flags|cto
            "00000002",                               //       sample_count 2
            "00000080",                               //       data_offset 128 = moof 120 + mdat header 8
            "00000BB8", "00000005", "02000000", "00000BB8", // 3000 ticks, 5 bytes, depends_on 2 (sync), cto +3000
            "00000BB8", "00000003", "01010000", "FFFFF448", // 3000 ticks, 3 bytes, depends_on 1 + non-sync, cto -3000
            "00000010", "6D646174",                   // mdat, 8 + 8 bytes
            "0102030405", "060708"));                 //   the two samples

        Assert.Equal(expected, CmafFragment.WriteChunk(Video, 7, samples));
    }

    [Fact]
    public void WriteChunk_AudioSampleNotMarkedSync_StillSyncFlags()
    {
        byte[] chunk = CmafFragment.WriteChunk(Audio, 1, [new CmafSample(0, 1024, 0, false, new byte[] { 9 })]);

        // trun entry at 8 (moof) + 16 (mfhd) + 8 (traf) + 16 (tfhd) + 20 (tfdt) + 20 (trun header) = 88:
        // duration 1024, size 1, flags sample_depends_on 2, cto 0; tfhd track_ID 2 at 44.
        Assert.Equal(Convert.FromHexString("00000400" + "00000001" + "02000000" + "00000000"), chunk[88..104]);
        Assert.Equal(Convert.FromHexString("00000002"), chunk[44..48]);
    }

    [Fact]
    public void SegmentTypeBox_Always_CmfsCmffMsdh()
    {
        byte[] expected = Convert.FromHexString(string.Concat(
            "0000001C", "73747970",   // styp, 28 bytes
            "636D6673", "00000000",   // major_brand 'cmfs', minor_version 0
            "636D6673", "636D6666", "6D736468")); // compatible 'cmfs' 'cmff' 'msdh'

        Assert.Equal(expected, CmafFragment.SegmentTypeBox.ToArray());
    }

    [Fact]
    public void Write_AnyConfig_StartsWithIso6CmfcFtyp()
    {
        byte[] expected = Convert.FromHexString(string.Concat(
            "00000018", "66747970",   // ftyp, 24 bytes
            "69736F36", "00000000",   // major_brand 'iso6', minor_version 0
            "69736F36", "636D6663")); // compatible 'iso6' 'cmfc'

        Assert.Equal(expected, CmafInitSegment.Write(Video)[..24]);
        Assert.Equal(expected, CmafInitSegment.Write(Audio)[..24]);
    }

    [Fact]
    public void Write_Video_TrexAndMdhdEqualHandWrittenBytes()
    {
        byte[] init = CmafInitSegment.Write(Video);

        Assert.Equal(
            Convert.FromHexString(string.Concat(
                "00000020", "74726578", "00000000", // trex, version 0, flags 0
                "00000001",                         // track_ID 1
                "00000001",                         // default_sample_description_index 1
                "00000000", "00000000", "00000000")), // default duration, size, flags
            TestBoxes.Find(init, "moov/mvex/trex"));
        Assert.Equal(
            Convert.FromHexString(string.Concat(
                "00000020", "6D646864", "00000000", // mdhd, version 0, flags 0
                "00000000", "00000000",             // creation_time, modification_time
                "00015F90",                         // timescale 90000
                "00000000",                         // duration
                "55C4",                             // pad 0, language 'und' = (21, 14, 4) in 5-bit groups
                "0000")),                           // pre_defined
            TestBoxes.Find(init, "moov/trak/mdia/mdhd"));
    }

    [Fact]
    public void Write_Audio_EsdsEqualsHandWrittenDescriptors()
    {
        byte[] init = CmafInitSegment.Write(Audio);
        byte[] asc = Audio.Record.ToArray();
        Assert.Equal(Convert.FromHexString("119056E500"), asc); // AAC-LC, 48 kHz, stereo, with an SBR sync extension

        byte[] expected = Convert.FromHexString(string.Concat(
            "00000036", "65736473", "00000000", // esds, 54 bytes, version 0, flags 0
            "03", "80808025",                   // ES_Descriptor, 37 bytes
            "0000", "00",                       //   ES_ID 0, no dependence / URL / OCR, priority 0
            "04", "80808017",                   //   DecoderConfigDescriptor, 23 bytes
            "40",                               //     objectTypeIndication: Audio ISO/IEC 14496-3
            "15",                               //     streamType 5 (audio) << 2 | upStream 0 << 1 | reserved 1
            "000000", "00000000", "00000000",   //     bufferSizeDB, maxBitrate, avgBitrate
            "05", "80808005", "119056E500",     //     DecoderSpecificInfo: the AudioSpecificConfig
            "06", "80808001", "02"));           //   SLConfigDescriptor, predefined 2
        Assert.Equal(expected, TestBoxes.Find(init, "moov/trak/mdia/minf/stbl/stsd/mp4a/esds"));
    }

    [Fact]
    public void SampleFlags_SyncAndNonSync_SpecBitLayout()
    {
        Assert.Equal(0x0200_0000u, SampleFlags.Sync);
        Assert.Equal(0x0101_0000u, SampleFlags.NonSync);
    }
}
