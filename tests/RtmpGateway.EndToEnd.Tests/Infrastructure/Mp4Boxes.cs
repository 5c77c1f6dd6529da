using System.Buffers.Binary;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>Just enough ISO BMFF reading for the tests to check what a segment starts with.</summary>
public static class Mp4Boxes
{
    /// <summary>The payload of the first box of that type at any depth inside moof/traf.</summary>
    public static ReadOnlySpan<byte> Find(ReadOnlySpan<byte> data, string type)
    {
        int pos = 0;
        while (pos + 8 <= data.Length)
        {
            int size = (int)BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            string name = System.Text.Encoding.ASCII.GetString(data.Slice(pos + 4, 4));
            if (size < 8 || pos + size > data.Length)
            {
                break;
            }

            ReadOnlySpan<byte> body = data.Slice(pos + 8, size - 8);
            if (name == type)
            {
                return body;
            }

            if (name is "moof" or "traf" or "moov" or "trak" or "mdia" or "minf" or "stbl")
            {
                ReadOnlySpan<byte> inner = Find(body, type);
                if (!inner.IsEmpty)
                {
                    return inner;
                }
            }

            pos += size;
        }

        return [];
    }

    /// <summary>baseMediaDecodeTime of the first tfdt.</summary>
    public static long BaseMediaDecodeTime(ReadOnlySpan<byte> segment)
    {
        ReadOnlySpan<byte> tfdt = Find(segment, "tfdt");
        return tfdt[0] == 1 ? (long)BinaryPrimitives.ReadUInt64BigEndian(tfdt[4..]) : BinaryPrimitives.ReadUInt32BigEndian(tfdt[4..]);
    }

    /// <summary>The NAL unit types of the first sample of the first fragment (4-byte length prefixes).</summary>
    public static List<int> FirstSampleNalTypes(ReadOnlySpan<byte> segment)
    {
        ReadOnlySpan<byte> trun = Find(segment, "trun");
        uint flags = BinaryPrimitives.ReadUInt32BigEndian(trun) & 0xFFFFFF;
        int p = 8; // version+flags, sample_count
        p += (flags & 0x1) != 0 ? 4 : 0; // data_offset
        p += (flags & 0x4) != 0 ? 4 : 0; // first_sample_flags
        p += (flags & 0x100) != 0 ? 4 : 0; // duration
        int size = (int)BinaryPrimitives.ReadUInt32BigEndian(trun[p..]);
        ReadOnlySpan<byte> mdat = Find(segment, "mdat");
        ReadOnlySpan<byte> sample = mdat[..size];
        var types = new List<int>();
        while (sample.Length >= 5)
        {
            int n = (int)BinaryPrimitives.ReadUInt32BigEndian(sample);
            types.Add(sample[4] & 0x1F);
            sample = sample[Math.Min(sample.Length, 4 + n)..];
        }

        return types;
    }
}
