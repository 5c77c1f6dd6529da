using System.Buffers.Binary;
using System.Text;

namespace RtmpGateway.Rtmp.Amf;

/// <summary>
/// Reads big-endian fields from one whole message body. A fixed-size field cut short is
/// <see cref="RtmpErrorReason.AmfMalformed"/>; a length or count the peer declared that the rest of
/// the message cannot hold is <see cref="RtmpErrorReason.AmfLengthExceedsMessage"/>, checked before
/// anything is allocated from it.
/// </summary>
internal ref struct AmfSpanReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public AmfSpanReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public readonly bool IsAtEnd => _position >= _data.Length;

    public readonly byte PeekByte()
    {
        if (_position >= _data.Length)
        {
            throw Truncated("a type marker");
        }

        return _data[_position];
    }

    public byte ReadByte()
    {
        var value = PeekByte();
        _position++;
        return value;
    }

    public ushort ReadUInt16(string what) => BinaryPrimitives.ReadUInt16BigEndian(Take(2, what));

    public short ReadInt16(string what) => BinaryPrimitives.ReadInt16BigEndian(Take(2, what));

    public uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32BigEndian(Take(4, what));

    public int ReadInt32(string what) => BinaryPrimitives.ReadInt32BigEndian(Take(4, what));

    public double ReadDouble(string what) => BinaryPrimitives.ReadDoubleBigEndian(Take(8, what));

    /// <summary>Takes <paramref name="length"/> bytes the peer declared, after checking they are present.</summary>
    public ReadOnlySpan<byte> ReadDeclared(long length, string what)
    {
        EnsureDeclared(length, 1, what);
        var slice = _data.Slice(_position, (int)length);
        _position += (int)length;
        return slice;
    }

    /// <summary>A UTF-8 string of <paramref name="length"/> declared bytes.</summary>
    public string ReadUtf8(long length, string what)
    {
        var bytes = ReadDeclared(length, what);
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            // "All strings in AMF are encoded using UTF-8" (AMF0 1.3.1, AMF3 1.3.2).
            throw new RtmpProtocolException(RtmpErrorReason.AmfMalformed, $"AMF {what} is not valid UTF-8");
        }
    }

    /// <summary>
    /// Refuses a declared count of items that each need at least <paramref name="minBytesEach"/>
    /// bytes when the rest of the message cannot hold them.
    /// </summary>
    public readonly void EnsureDeclared(long count, int minBytesEach, string what)
    {
        if (count < 0 || count * minBytesEach > Remaining)
        {
            throw new RtmpProtocolException(
                RtmpErrorReason.AmfLengthExceedsMessage,
                $"AMF {what} declares {count} but only {Remaining} bytes remain in the message");
        }
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > Remaining)
        {
            throw Truncated(what);
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private readonly RtmpProtocolException Truncated(string what) =>
        new(RtmpErrorReason.AmfMalformed, $"AMF message ends inside {what} at offset {_position}");
}
