namespace RtmpGateway.Media;

/// <summary>
/// MSB-first bit reader (the b(n)/u(n)/f(n) descriptors of H.264, H.265, AV1 and 14496-3) with
/// Exp-Golomb ue(v)/se(v). Reading past the end throws <see cref="MediaFormatException"/>.
/// </summary>
internal ref struct BitReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly MediaErrorReason _reason;
    private readonly string _what;
    private long _bit;

    public BitReader(ReadOnlySpan<byte> data, MediaErrorReason reason, string what)
    {
        _data = data;
        _reason = reason;
        _what = what;
        _bit = 0;
    }

    public readonly long BitsRemaining => ((long)_data.Length * 8) - _bit;

    public readonly long BitPosition => _bit;

    public bool ReadFlag() => ReadBit() != 0;

    public uint ReadBit()
    {
        if (_bit >= (long)_data.Length * 8)
        {
            throw Error($"truncated at bit {_bit}");
        }

        uint v = (uint)(_data[(int)(_bit >> 3)] >> (7 - (int)(_bit & 7))) & 1u;
        _bit++;
        return v;
    }

    /// <summary>Reads <paramref name="count"/> (0..32) bits as an unsigned value.</summary>
    public uint ReadBits(int count)
    {
        if (count > BitsRemaining)
        {
            throw Error($"truncated at bit {_bit}: needs {count} bit(s)");
        }

        uint v = 0;
        for (int i = 0; i < count; i++)
        {
            v = (v << 1) | ReadBit();
        }

        return v;
    }

    public void Skip(long count)
    {
        if (count < 0 || count > BitsRemaining)
        {
            throw Error($"truncated at bit {_bit}: cannot skip {count} bit(s)");
        }

        _bit += count;
    }

    /// <summary>ue(v), H.264 9.1: leadingZeroBits then codeNum = 2^leadingZeroBits - 1 + read_bits(leadingZeroBits).</summary>
    public uint ReadUe()
    {
        int leadingZeros = 0;
        while (ReadBit() == 0)
        {
            leadingZeros++;
            // A 32-bit syntax element never needs more than 31 leading zeros.
            if (leadingZeros > 31)
            {
                throw Error($"Exp-Golomb code longer than 32 bits at bit {_bit}");
            }
        }

        if (leadingZeros == 0)
        {
            return 0;
        }

        ulong codeNum = (1UL << leadingZeros) - 1 + ReadBits(leadingZeros);
        if (codeNum > uint.MaxValue - 1)
        {
            throw Error($"Exp-Golomb value out of range at bit {_bit}");
        }

        return (uint)codeNum;
    }

    /// <summary>ue(v) that must not exceed <paramref name="max"/> (the range the spec gives the element).</summary>
    public int ReadUe(int max, string element)
    {
        uint v = ReadUe();
        if (v > (uint)max)
        {
            throw Error($"{element} = {v} exceeds {max}");
        }

        return (int)v;
    }

    /// <summary>se(v), H.264 9.1.1: codeNum k maps to (-1)^(k+1) * Ceil(k / 2).</summary>
    public int ReadSe()
    {
        uint k = ReadUe();
        long magnitude = ((long)k + 1) / 2;
        return (int)((k & 1) != 0 ? magnitude : -magnitude);
    }

    /// <summary>uvlc(), AV1 4.10.3.</summary>
    public uint ReadUvlc()
    {
        int leadingZeros = 0;
        while (ReadBit() == 0)
        {
            leadingZeros++;
            if (leadingZeros >= 32)
            {
                // The spec maps 32+ leading zeros to 2^32 - 1; no field we read can hold that, so it is malformed.
                throw Error($"uvlc longer than 32 bits at bit {_bit}");
            }
        }

        if (leadingZeros == 0)
        {
            return 0;
        }

        return (uint)(ReadBits(leadingZeros) + (1UL << leadingZeros) - 1);
    }

    public readonly MediaFormatException Error(string detail) => new(_reason, $"{_what}: {detail}");
}
