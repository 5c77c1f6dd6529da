using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace RtmpGateway.Rtmp.Amf;

/// <summary>Big-endian primitives onto an <see cref="IBufferWriter{T}"/>.</summary>
internal static class AmfBufferWriterExtensions
{
    public static void WriteByte(this IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public static void WriteUInt16(this IBufferWriter<byte> output, ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(output.GetSpan(2), value);
        output.Advance(2);
    }

    public static void WriteUInt32(this IBufferWriter<byte> output, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public static void WriteInt32(this IBufferWriter<byte> output, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public static void WriteDouble(this IBufferWriter<byte> output, double value)
    {
        BinaryPrimitives.WriteDoubleBigEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public static void WriteBytes(this IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    /// <summary>Writes the UTF-8 bytes of <paramref name="value"/>, whose byte count the caller already wrote.</summary>
    public static void WriteUtf8(this IBufferWriter<byte> output, string value, int byteCount)
    {
        var written = Encoding.UTF8.GetBytes(value, output.GetSpan(byteCount));
        output.Advance(written);
    }
}
