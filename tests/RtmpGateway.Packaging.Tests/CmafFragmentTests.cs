using System.Buffers;
using System.Buffers.Binary;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Cmaf;

namespace RtmpGateway.Packaging.Tests;

public sealed class CmafFragmentTests
{
    private static readonly MediaFixture.Demuxed Flv = MediaFixture.DemuxFlv("h264_aac.flv");

    [Fact]
    public void WriteChunk_IntoBufferWriter_SameBytesAsArray()
    {
        List<CmafSample> samples = MediaFixture.ToSamples(Flv.Video!, Flv.VideoUnits).GetRange(0, 30);
        var output = new ArrayBufferWriter<byte>(16); // small, so the writer has to grow

        int written = CmafFragment.WriteChunk(Flv.Video!, 5, samples, output);

        byte[] array = CmafFragment.WriteChunk(Flv.Video!, 5, samples);
        Assert.Equal(array, output.WrittenSpan.ToArray());
        Assert.Equal(array.Length, written);
        Assert.Equal(array.Length, CmafFragment.GetChunkSize(samples));
        Assert.Equal(array.Length - samples.Sum(s => s.Data.Length), CmafFragment.ChunkOverhead(samples.Count));
    }

    [Fact]
    public void WriteChunk_AnySamples_DataOffsetPointsAtFirstSampleInMdat()
    {
        List<CmafSample> samples = MediaFixture.ToSamples(Flv.Audio!, Flv.AudioUnits).GetRange(3, 7);

        byte[] chunk = CmafFragment.WriteChunk(Flv.Audio!, 1, samples);

        int moofSize = (int)BinaryPrimitives.ReadUInt32BigEndian(chunk);
        Assert.Equal("mdat"u8.ToArray(), chunk[(moofSize + 4)..(moofSize + 8)]);
        Assert.Equal(chunk.Length - moofSize, (int)BinaryPrimitives.ReadUInt32BigEndian(chunk.AsSpan(moofSize)));
        int dataOffset = BinaryPrimitives.ReadInt32BigEndian(chunk.AsSpan(8 + 16 + 8 + 16 + 20 + 16)); // trun data_offset
        Assert.Equal(samples[0].Data.ToArray(), chunk[dataOffset..(dataOffset + samples[0].Data.Length)]);
    }

    [Fact]
    public void WriteChunk_NoSamples_Throws() =>
        Assert.Throws<ArgumentException>(() => CmafFragment.WriteChunk(Flv.Video!, 1, []));

    [Fact]
    public void WriteChunk_GapBetweenSamples_Throws()
    {
        CmafSample[] samples = [new(0, 3000, 0, true, new byte[1]), new(3001, 3000, 0, false, new byte[1])];

        ArgumentException error = Assert.Throws<ArgumentException>(() => CmafFragment.WriteChunk(Flv.Video!, 1, samples));
        Assert.Contains("contiguous", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteChunk_NegativeDts_Throws() =>
        Assert.Throws<ArgumentException>(() => CmafFragment.WriteChunk(Flv.Video!, 1, [new CmafSample(-1, 1, 0, true, new byte[1])]));

    [Fact]
    public void WriteChunk_NegativeDuration_Throws() =>
        Assert.Throws<ArgumentException>(() => CmafFragment.WriteChunk(Flv.Video!, 1, [new CmafSample(0, -1, 0, true, new byte[1])]));

    [Fact]
    public void WriteSegmentType_IntoBufferWriter_StypBytes()
    {
        var output = new ArrayBufferWriter<byte>();
        CmafFragment.WriteSegmentType(output);
        Assert.Equal(CmafFragment.SegmentTypeBox.ToArray(), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Write_IntoBufferWriter_SameBytesAsArray()
    {
        foreach (CodecConfig config in new[] { Flv.Video!, Flv.Audio! })
        {
            var output = new ArrayBufferWriter<byte>(1);
            int written = CmafInitSegment.Write(config, output);
            Assert.Equal(CmafInitSegment.Write(config), output.WrittenSpan.ToArray());
            Assert.Equal(output.WrittenCount, written);
        }
    }

    [Fact]
    public void Write_Video_TopLevelIsFtypThenMoovOnly()
    {
        byte[] init = CmafInitSegment.Write(Flv.Video!);
        Assert.Equal(["ftyp", "moov"], TestBoxes.TopLevel(init).Select(b => b.Type));
        Assert.Equal(MediaKind.Video, Flv.Video!.Kind);
    }
}
