using System.Buffers.Binary;

namespace RtmpGateway.Media;

/// <summary>
/// Big-endian byte reader over a span. Every read checks the bytes actually present and throws
/// <see cref="MediaFormatException"/> with the owner's reason, so a declared length is never trusted.
/// </summary>
internal ref struct ByteReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly MediaErrorReason _reason;
    private readonly string _what;
    private int _pos;

    public ByteReader(ReadOnlySpan<byte> data, MediaErrorReason reason, string what)
    {
        _data = data;
        _reason = reason;
        _what = what;
        _pos = 0;
    }

    public readonly int Remaining => _data.Length - _pos;

    public readonly int Position => _pos;

    public byte ReadU8()
    {
        Need(1);
        return _data[_pos++];
    }

    public ushort ReadU16()
    {
        Need(2);
        ushort v = BinaryPrimitives.ReadUInt16BigEndian(_data[_pos..]);
        _pos += 2;
        return v;
    }

    public uint ReadU32()
    {
        Need(4);
        uint v = BinaryPrimitives.ReadUInt32BigEndian(_data[_pos..]);
        _pos += 4;
        return v;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        Need(count);
        ReadOnlySpan<byte> s = _data.Slice(_pos, count);
        _pos += count;
        return s;
    }

    public readonly MediaFormatException Error(string detail) => new(_reason, $"{_what}: {detail}");

    private readonly void Need(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw Error($"truncated at byte {_pos}: needs {count} more byte(s), {Remaining} present");
        }
    }
}
