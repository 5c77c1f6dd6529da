using System.Buffers.Binary;

namespace RtmpGateway.Media;

/// <summary>One tag of an FLV file: type, 32-bit millisecond timestamp, and the tag body (a slice of the file).</summary>
public readonly record struct FlvFileTag(FlvTagType Type, uint Timestamp, ReadOnlyMemory<byte> Body);

/// <summary>
/// Reads the tags of a whole FLV file (Adobe FLV spec E.2 header, E.3 body: PreviousTagSize0, then
/// tag + PreviousTagSize pairs). For tools, tests and benchmarks that start from files ffmpeg wrote;
/// live RTMP carries the tag bodies without this framing.
/// </summary>
public static class FlvFileReader
{
    public static List<FlvFileTag> ReadTags(ReadOnlyMemory<byte> file)
    {
        ReadOnlySpan<byte> d = file.Span;

        // Signature "FLV", Version, TypeFlags, DataOffset (UI32): the header's own length.
        if (d.Length < 13 || d[0] != 'F' || d[1] != 'L' || d[2] != 'V')
        {
            throw new MediaFormatException(MediaErrorReason.TruncatedTag, "not an FLV file (no 'FLV' signature)");
        }

        long offset = BinaryPrimitives.ReadUInt32BigEndian(d[5..]);
        if (offset < 9 || offset + 4 > d.Length)
        {
            throw new MediaFormatException(MediaErrorReason.TruncatedTag, $"FLV DataOffset {offset} outside the file");
        }

        var tags = new List<FlvFileTag>();
        int p = (int)offset + 4;
        while (p + 11 <= d.Length)
        {
            // TagType (UI8, low 5 bits), DataSize (UI24), Timestamp (UI24) + TimestampExtended (UI8), StreamID (UI24).
            var type = (FlvTagType)(d[p] & 0x1F);
            int size = (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3];
            uint ts = (uint)((d[p + 4] << 16) | (d[p + 5] << 8) | d[p + 6] | (d[p + 7] << 24));
            if (p + 11 + size > d.Length)
            {
                throw new MediaFormatException(MediaErrorReason.TruncatedTag, $"FLV tag of {size} bytes at {p} runs past the end of the file");
            }

            tags.Add(new FlvFileTag(type, ts, file.Slice(p + 11, size)));
            p += 11 + size + 4;
        }

        return tags;
    }
}
