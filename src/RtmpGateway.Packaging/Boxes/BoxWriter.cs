using System.Buffers.Binary;

namespace RtmpGateway.Packaging.Boxes;

/// <summary>
/// Writes ISO BMFF boxes (ISO/IEC 14496-12 §4.2) big-endian into a caller-supplied span: no allocation,
/// so a fragment can be written straight into an <see cref="System.Buffers.IBufferWriter{T}"/>'s span.
/// <code>
/// aligned(8) class Box (unsigned int(32) boxtype) {
///    unsigned int(32) size;            // patched by EndBox once the contents are known
///    unsigned int(32) type = boxtype;
/// }
/// aligned(8) class FullBox(unsigned int(32) boxtype, unsigned int(8) v, bit(24) f) extends Box(boxtype) {
///    unsigned int(8) version = v;
///    bit(24) flags = f;
/// }
/// </code>
/// Only the compact 32-bit size is written: nothing this gateway writes comes near 4 GiB, and EndBox
/// throws rather than wrap. Writing past the end of the span throws <see cref="InvalidOperationException"/>.
/// </summary>
public ref struct BoxWriter
{
    /// <summary>size + type.</summary>
    public const int BoxHeaderSize = 8;

    /// <summary>size + type + version + flags.</summary>
    public const int FullBoxHeaderSize = 12;

    private readonly Span<byte> _buffer;
    private int _position;

    public BoxWriter(Span<byte> destination)
    {
        _buffer = destination;
        _position = 0;
    }

    /// <summary>Bytes written so far (also the offset of the next byte).</summary>
    public readonly int Position => _position;

    public readonly ReadOnlySpan<byte> Written => _buffer[.._position];

    /// <summary>Opens a box; returns its start offset for <see cref="EndBox"/>.</summary>
    public int StartBox(uint type)
    {
        int start = _position;
        WriteUInt32(0); // size, patched by EndBox
        WriteUInt32(type);
        return start;
    }

    /// <summary>Opens a FullBox with <paramref name="version"/> and the low 24 bits of <paramref name="flags"/>.</summary>
    public int StartFullBox(uint type, byte version, uint flags)
    {
        if (flags > 0xFF_FFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(flags), flags, "FullBox flags are bit(24)");
        }

        int start = StartBox(type);
        WriteUInt32(((uint)version << 24) | flags);
        return start;
    }

    /// <summary>Closes the box opened at <paramref name="start"/>: "size is an integer that specifies the number of bytes in this box, including all its fields and contained boxes".</summary>
    public readonly void EndBox(int start)
    {
        int size = _position - start;
        if (start < 0 || size < BoxHeaderSize)
        {
            throw new ArgumentOutOfRangeException(nameof(start), start, "not the start of an open box");
        }

        BinaryPrimitives.WriteUInt32BigEndian(_buffer[start..], (uint)size);
    }

    public void WriteUInt8(byte value) => Take(1)[0] = value;

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Take(2), value);

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Take(2), value);

    /// <summary>unsigned int(24): the low 24 bits of <paramref name="value"/>.</summary>
    public void WriteUInt24(uint value)
    {
        if (value > 0xFF_FFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "does not fit 24 bits");
        }

        Span<byte> b = Take(3);
        b[0] = (byte)(value >> 16);
        b[1] = (byte)(value >> 8);
        b[2] = (byte)value;
    }

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Take(4), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Take(4), value);

    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Take(8), value);

    /// <summary>Fixed-point 16.16 (e.g. tkhd width/height, mvhd rate) from an integer part.</summary>
    public void WriteFixed16Dot16(int integerPart)
    {
        if (integerPart is < short.MinValue or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(integerPart), integerPart, "does not fit a 16.16 fixed-point integer part");
        }

        WriteUInt32((uint)integerPart << 16);
    }

    /// <summary>Fixed-point 8.8 (e.g. mvhd/tkhd volume: 1.0 = 0x0100).</summary>
    public void WriteFixed8Dot8(byte integerPart) => WriteUInt16((ushort)(integerPart << 8));

    /// <summary>A four-character code such as a box type or brand.</summary>
    public void WriteFourCc(uint fourCc) => WriteUInt32(fourCc);

    public void WriteBytes(scoped ReadOnlySpan<byte> bytes) => bytes.CopyTo(Take(bytes.Length));

    public void WriteZeros(int count) => Take(count).Clear();

    /// <summary>
    /// The unity transformation matrix of mvhd/tkhd (§8.2.2, §8.3.2):
    /// <c>template int(32)[9] matrix = { 0x00010000,0,0,0,0x00010000,0,0,0,0x40000000 };</c>
    /// (u, v, w are 2.30 fixed point, the rest 16.16).
    /// </summary>
    public void WriteUnityMatrix()
    {
        WriteUInt32(0x0001_0000);
        WriteZeros(12);
        WriteUInt32(0x0001_0000);
        WriteZeros(12);
        WriteUInt32(0x4000_0000);
    }

    private Span<byte> Take(int count)
    {
        if (count < 0 || count > _buffer.Length - _position)
        {
            throw new InvalidOperationException(
                $"box writer out of room: {count} byte(s) at offset {_position} of a {_buffer.Length}-byte buffer");
        }

        Span<byte> span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }
}
