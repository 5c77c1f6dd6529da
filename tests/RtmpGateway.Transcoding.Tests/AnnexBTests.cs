using RtmpGateway.Media;

namespace RtmpGateway.Transcoding.Tests;

public sealed class AnnexBTests
{
    private static readonly byte[] AnnexBStream = File.ReadAllBytes(TestMedia.DataPath("testsrc2-320x240.264"));
    private static readonly FlvVideo Flv = FlvVideo.Read(TestMedia.DataPath("testsrc2-320x240.flv"));

    [Fact]
    public void SplitNalUnits_GoldenStream_MatchesTheFlvNalForNal()
    {
        List<byte[]> fromAnnexB = AnnexB.SplitNalUnits(AnnexBStream);
        List<byte[]> fromFlv = Flv.Frames.SelectMany(f => TestMedia.SplitLengthPrefixed(f.Payload)).ToList();

        Assert.Equal(63, fromAnnexB.Count);
        Assert.Equal(fromFlv.Count, fromAnnexB.Count);
        for (int i = 0; i < fromFlv.Count; i++)
        {
            Assert.True(fromFlv[i].AsSpan().SequenceEqual(fromAnnexB[i]), $"NAL unit {i} differs");
        }
    }

    [Fact]
    public void ToLengthPrefixed_GoldenStream_EqualsTheFlvPayloadsWithoutDelimiters()
    {
        byte[] expected = Flv.Frames
            .SelectMany(f => TestMedia.SplitLengthPrefixed(f.Payload))
            .Where(unit => (unit[0] & 0x1F) != AnnexB.NalTypeAccessUnitDelimiter)
            .SelectMany(unit => new byte[] { (byte)(unit.Length >> 24), (byte)(unit.Length >> 16), (byte)(unit.Length >> 8), (byte)unit.Length }.Concat(unit))
            .ToArray();

        byte[] converted = AnnexB.ToLengthPrefixed(AnnexBStream);

        Assert.Equal(expected, converted);
        // The golden stream has one delimiter per access unit; all of them are gone, the SEI is kept.
        List<byte[]> units = TestMedia.SplitLengthPrefixed(converted);
        Assert.DoesNotContain(units, u => (u[0] & 0x1F) == AnnexB.NalTypeAccessUnitDelimiter);
        Assert.Contains(units, u => (u[0] & 0x1F) == AnnexB.NalTypeSei);
        Assert.Equal(AnnexB.SplitNalUnits(AnnexBStream).Count - Flv.Frames.Count, units.Count);
    }

    [Fact]
    public void ToAvcDecoderConfigurationRecord_X264ParameterSets_EqualsFfmpegsAvcCByteForByte()
    {
        byte[] record = AnnexB.ToAvcDecoderConfigurationRecord(AnnexBStream);

        Assert.Equal(Flv.AvcRecord, record);
        CodecConfig config = CodecConfig.FromAvcRecord(record);
        Assert.Equal((320, 240, 100), (config.Width, config.Height, config.Profile));
        Assert.True(config.Avc!.HasHighProfileExtension);
    }

    [Fact]
    public void FindNalUnits_ThreeAndFourByteStartCodesWithZeroPadding_ReturnsTheUnitsOnly()
    {
        byte[] stream = [0, 0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x65, 0x88, 0x00, 0x00, 0x03, 0, 0, 0, 0, 1, 0x41, 0x9A, 0, 0];

        List<byte[]> units = AnnexB.SplitNalUnits(stream);

        Assert.Equal(3, units.Count);
        Assert.Equal(new byte[] { 0x09, 0xF0 }, units[0]);
        Assert.Equal(new byte[] { 0x65, 0x88, 0x00, 0x00, 0x03 }, units[1]);
        Assert.Equal(new byte[] { 0x41, 0x9A }, units[2]);
        Assert.Equal(new byte[] { 0, 0, 0, 5, 0x65, 0x88, 0x00, 0x00, 0x03, 0, 0, 0, 2, 0x41, 0x9A }, AnnexB.ToLengthPrefixed(stream));
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 }, H264BitstreamError.NoStartCode)]
    [InlineData(new byte[] { }, H264BitstreamError.NoStartCode)]
    [InlineData(new byte[] { 7, 0, 0, 1, 0x65 }, H264BitstreamError.DataBeforeStartCode)]
    [InlineData(new byte[] { 0, 0, 1, 0, 0, 0, 1, 0x65 }, H264BitstreamError.EmptyNalUnit)]
    [InlineData(new byte[] { 0, 0, 1 }, H264BitstreamError.EmptyNalUnit)]
    [InlineData(new byte[] { 0, 0, 1, 0xE5, 0x10 }, H264BitstreamError.ForbiddenZeroBit)]
    public void FindNalUnits_MalformedStream_ThrowsWithReason(byte[] stream, H264BitstreamError reason)
    {
        H264BitstreamException e = Assert.Throws<H264BitstreamException>(() => AnnexB.FindNalUnits(stream));
        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public void BuildAvcDecoderConfigurationRecord_NoPps_ThrowsMissingParameterSet()
    {
        byte[] sps = AnnexB.SplitNalUnits(AnnexBStream).First(u => (u[0] & 0x1F) == AnnexB.NalTypeSps);

        H264BitstreamException e = Assert.Throws<H264BitstreamException>(() => AnnexB.BuildAvcDecoderConfigurationRecord([sps], []));

        Assert.Equal(H264BitstreamError.MissingParameterSet, e.Reason);
    }

    [Fact]
    public void Conversions_EveryTruncatedPrefix_ParseOrThrowBitstreamException()
    {
        // The parameter sets and the first access unit byte by byte, then the rest in strides.
        IEnumerable<int> lengths = Enumerable.Range(0, 1200).Concat(Enumerable.Range(0, AnnexBStream.Length / 97).Select(i => i * 97));
        foreach (int length in lengths)
        {
            byte[] prefix = AnnexBStream[..length];
            AssertOnlyBitstreamException(() => AnnexB.ToLengthPrefixed(prefix));
            AssertOnlyBitstreamException(() => AnnexB.ToAvcDecoderConfigurationRecord(prefix));
        }
    }

    [Fact]
    public void Conversions_RandomInput_ParseOrThrowBitstreamException()
    {
        var random = new Random(20240615);
        for (int i = 0; i < 5000; i++)
        {
            byte[] data = new byte[random.Next(0, 200)];
            random.NextBytes(data);
            // Plant start codes and parameter set headers so that the parsers get past the framing.
            for (int k = 0; k + 4 < data.Length && random.Next(3) != 0; k += random.Next(4, 40))
            {
                data[k] = 0;
                data[k + 1] = 0;
                data[k + 2] = 1;
                data[k + 3] = (byte)(random.Next(2) == 0 ? 0x67 : 0x68);
            }

            AssertOnlyBitstreamException(() => AnnexB.ToLengthPrefixed(data));
            AssertOnlyBitstreamException(() => AnnexB.ToAvcDecoderConfigurationRecord(data));
        }
    }

    private static void AssertOnlyBitstreamException(Action action)
    {
        try
        {
            action();
        }
        catch (H264BitstreamException)
        {
        }
    }
}
