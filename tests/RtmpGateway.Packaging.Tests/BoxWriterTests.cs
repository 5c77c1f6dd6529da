using RtmpGateway.Packaging.Boxes;

namespace RtmpGateway.Packaging.Tests;

public sealed class BoxWriterTests
{
    [Fact]
    public void EndBox_NestedBoxes_SizesPatched()
    {
        byte[] buffer = new byte[64];
        var writer = new BoxWriter(buffer);
        int outer = writer.StartBox(BoxType.Moov);
        int inner = writer.StartFullBox(BoxType.Mfhd, 1, 0x00_0F01);
        writer.WriteUInt32(9);
        writer.EndBox(inner);
        writer.EndBox(outer);

        Assert.Equal(
            Convert.FromHexString("00000018" + "6D6F6F76" + "00000010" + "6D666864" + "01000F01" + "00000009"),
            writer.Written.ToArray());
        Assert.Equal(24, writer.Position);
    }

    [Fact]
    public void Write_FixedPointAndIntegers_BigEndian()
    {
        byte[] buffer = new byte[32];
        var writer = new BoxWriter(buffer);
        writer.WriteFixed16Dot16(1920);
        writer.WriteFixed8Dot8(1);
        writer.WriteUInt24(0x010203);
        writer.WriteInt16(-1);
        writer.WriteUInt64(0x0102030405060708);
        writer.WriteInt32(-3000);

        Assert.Equal(Convert.FromHexString("07800000" + "0100" + "010203" + "FFFF" + "0102030405060708" + "FFFFF448"), writer.Written.ToArray());
    }

    [Fact]
    public void Write_PastEndOfBuffer_Throws()
    {
        byte[] buffer = new byte[6];
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() =>
        {
            var writer = new BoxWriter(buffer);
            writer.StartBox(BoxType.Mdat);
        });
        Assert.Contains("out of room", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StartFullBox_FlagsAbove24Bits_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var writer = new BoxWriter(new byte[16]);
            writer.StartFullBox(BoxType.Tfhd, 0, 0x0100_0000);
        });

    [Fact]
    public void UnityMatrix_Always_SpecValues()
    {
        var writer = new BoxWriter(new byte[36]);
        writer.WriteUnityMatrix();
        Assert.Equal(
            Convert.FromHexString("00010000" + "00000000" + "00000000" + "00000000" + "00010000" + "00000000" + "00000000" + "00000000" + "40000000"),
            writer.Written.ToArray());
    }
}
