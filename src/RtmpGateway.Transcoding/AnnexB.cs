using System.Buffers.Binary;
using RtmpGateway.Media;

namespace RtmpGateway.Transcoding;

/// <summary>
/// H.264 byte stream format (ISO/IEC 14496-10 Annex B) to the ISO BMFF forms of ISO/IEC 14496-15:
/// length-prefixed NAL units and the AVCDecoderConfigurationRecord. Pure managed code.
/// <code>
/// byte_stream_nal_unit( NumBytesInNalUnit ) {
///   while( next_bits( 24 ) != 0x000001 &amp;&amp; next_bits( 32 ) != 0x00000001 )
///     leading_zero_8bits  /* equal to 0x00 */
///   if( next_bits( 24 ) != 0x000001 )
///     zero_byte  /* equal to 0x00 */
///   start_code_prefix_one_3bytes  /* equal to 0x000001 */
///   nal_unit( NumBytesInNalUnit )
///   while( more_data_in_byte_stream( ) &amp;&amp; next_bits( 24 ) != 0x000001 &amp;&amp; next_bits( 32 ) != 0x00000001 )
///     trailing_zero_8bits  /* equal to 0x00 */
/// }
/// </code>
/// </summary>
public static class AnnexB
{
    /// <summary>nal_unit_type values (14496-10 Table 7-1) this class acts on.</summary>
    public const int NalTypeIdr = 5;
    public const int NalTypeSei = 6;
    public const int NalTypeSps = 7;
    public const int NalTypePps = 8;
    public const int NalTypeAccessUnitDelimiter = 9;
    public const int NalTypeSpsExtension = 13;

    /// <summary>Bytes of the big-endian length before each NAL unit in our AVCC payloads (lengthSizeMinusOne = 3).</summary>
    public const int LengthSize = 4;

    private static ReadOnlySpan<byte> StartCode => [0, 0, 1];

    /// <summary>
    /// The NAL units of <paramref name="stream"/> as ranges into it: start codes (3 or 4 bytes),
    /// leading and trailing zero bytes excluded.
    /// </summary>
    /// <exception cref="H264BitstreamException">No start code, non-zero bytes before the first one, an empty NAL unit, or forbidden_zero_bit set.</exception>
    public static List<Range> FindNalUnits(ReadOnlySpan<byte> stream)
    {
        var units = new List<Range>();
        int first = stream.IndexOf(StartCode);
        if (first < 0)
        {
            throw new H264BitstreamException(H264BitstreamError.NoStartCode, $"Annex B: no start code in {stream.Length} bytes");
        }

        // "leading_zero_8bits ... equal to 0x00" (and a 4-byte start code's zero_byte).
        if (stream[..first].ContainsAnyExcept((byte)0))
        {
            throw new H264BitstreamException(H264BitstreamError.DataBeforeStartCode, $"Annex B: {first} bytes before the first start code are not all zero");
        }

        int start = first + StartCode.Length;
        while (true)
        {
            int next = stream[start..].IndexOf(StartCode);
            int end = next < 0 ? stream.Length : start + next;
            int unitEnd = end;

            // "trailing_zero_8bits ... equal to 0x00", which also takes the next 4-byte start code's
            // zero_byte. A NAL unit never ends in 0x00: rbsp_trailing_bits end in a 1 bit, and
            // cabac_zero_words are 0x000003.
            while (unitEnd > start && stream[unitEnd - 1] == 0)
            {
                unitEnd--;
            }

            if (unitEnd == start)
            {
                throw new H264BitstreamException(H264BitstreamError.EmptyNalUnit, $"Annex B: empty NAL unit at byte {start}");
            }

            // nal_unit( ): "forbidden_zero_bit shall be equal to 0."
            if ((stream[start] & 0x80) != 0)
            {
                throw new H264BitstreamException(H264BitstreamError.ForbiddenZeroBit, $"Annex B: forbidden_zero_bit set in the NAL unit at byte {start}");
            }

            units.Add(start..unitEnd);
            if (next < 0)
            {
                return units;
            }

            start = end + StartCode.Length;
        }
    }

    /// <summary>The NAL units of <paramref name="stream"/>, copied.</summary>
    public static List<byte[]> SplitNalUnits(ReadOnlySpan<byte> stream)
    {
        var units = new List<byte[]>();
        foreach (Range range in FindNalUnits(stream))
        {
            units.Add(stream[range].ToArray());
        }

        return units;
    }

    /// <summary>
    /// An Annex B access unit as an AVCC sample: every NAL unit with a 4-byte big-endian length
    /// (14496-15 5.3.2: "NALUnitLength indicates the size of a NAL unit measured in bytes"), access
    /// unit delimiters dropped (the sample is the access unit), everything else (SEI included) kept in order.
    /// </summary>
    public static byte[] ToLengthPrefixed(ReadOnlySpan<byte> stream)
    {
        List<Range> units = FindNalUnits(stream);
        int total = 0;
        foreach (Range range in units)
        {
            if (!IsAccessUnitDelimiter(stream[range]))
            {
                total += LengthSize + range.GetOffsetAndLength(stream.Length).Length;
            }
        }

        byte[] sample = new byte[total];
        int offset = 0;
        foreach (Range range in units)
        {
            ReadOnlySpan<byte> unit = stream[range];
            if (IsAccessUnitDelimiter(unit))
            {
                continue;
            }

            BinaryPrimitives.WriteInt32BigEndian(sample.AsSpan(offset), unit.Length);
            unit.CopyTo(sample.AsSpan(offset + LengthSize));
            offset += LengthSize + unit.Length;
        }

        return sample;
    }

    /// <summary>
    /// The AVCDecoderConfigurationRecord for the SPS, PPS and SPS extension NAL units found in an
    /// Annex B <paramref name="stream"/> (e.g. an encoder's global header); other NAL units are ignored,
    /// and a parameter set repeated byte for byte is listed once.
    /// </summary>
    public static byte[] ToAvcDecoderConfigurationRecord(ReadOnlySpan<byte> stream)
    {
        var sps = new List<byte[]>();
        var pps = new List<byte[]>();
        var spsExt = new List<byte[]>();
        foreach (Range range in FindNalUnits(stream))
        {
            ReadOnlySpan<byte> unit = stream[range];
            List<byte[]>? list = (unit[0] & 0x1F) switch
            {
                NalTypeSps => sps,
                NalTypePps => pps,
                NalTypeSpsExtension => spsExt,
                _ => null,
            };
            if (list is not null && !ContainsUnit(list, unit))
            {
                list.Add(unit.ToArray());
            }
        }

        return BuildAvcDecoderConfigurationRecord(sps, pps, spsExt);
    }

    /// <summary>
    /// AVCDecoderConfigurationRecord, ISO/IEC 14496-15 5.3.3.1 (layout in
    /// <see cref="AvcDecoderConfigurationRecord"/>): version 1; AVCProfileIndication,
    /// profile_compatibility and AVCLevelIndication copied from the first SPS ("shall contain the
    /// profile code ... as defined in ISO/IEC 14496-10, for all parameter sets"); lengthSizeMinusOne 3;
    /// and for profile_idc 100, 110, 122 and 244 the chroma_format / bit depth extension taken from the SPS.
    /// </summary>
    public static byte[] BuildAvcDecoderConfigurationRecord(
        IReadOnlyList<byte[]> sequenceParameterSets,
        IReadOnlyList<byte[]> pictureParameterSets,
        IReadOnlyList<byte[]>? sequenceParameterSetExtensions = null)
    {
        ArgumentNullException.ThrowIfNull(sequenceParameterSets);
        ArgumentNullException.ThrowIfNull(pictureParameterSets);
        IReadOnlyList<byte[]> spsExt = sequenceParameterSetExtensions ?? [];
        if (sequenceParameterSets.Count == 0 || pictureParameterSets.Count == 0)
        {
            throw new H264BitstreamException(
                H264BitstreamError.MissingParameterSet,
                $"avcC: needs at least one SPS and one PPS, got {sequenceParameterSets.Count} SPS and {pictureParameterSets.Count} PPS");
        }

        // "numOfSequenceParameterSets" is 5 bits; the PPS and SPS-ext counts are 8 bits; lengths 16 bits.
        if (sequenceParameterSets.Count > 31 || pictureParameterSets.Count > 255 || spsExt.Count > 255)
        {
            throw new H264BitstreamException(H264BitstreamError.TooManyParameterSets, "avcC: too many parameter sets for the record's count fields");
        }

        H264Sps sps;
        try
        {
            sps = H264Sps.Parse(sequenceParameterSets[0]);
        }
        catch (MediaFormatException e)
        {
            throw new H264BitstreamException(H264BitstreamError.MalformedSps, $"avcC: the first SPS does not parse: {e.Message}", e);
        }

        bool extension = sps.ProfileIdc is 100 or 110 or 122 or 244;
        using var record = new MemoryStream();
        record.WriteByte(1); // configurationVersion
        record.WriteByte(sequenceParameterSets[0][1]); // AVCProfileIndication = profile_idc
        record.WriteByte(sequenceParameterSets[0][2]); // profile_compatibility = constraint_set flags byte
        record.WriteByte(sequenceParameterSets[0][3]); // AVCLevelIndication = level_idc
        record.WriteByte(0xFC | (LengthSize - 1)); // bit(6) reserved '111111'b, lengthSizeMinusOne
        record.WriteByte((byte)(0xE0 | sequenceParameterSets.Count)); // bit(3) reserved '111'b, numOfSequenceParameterSets
        WriteList(record, sequenceParameterSets);
        record.WriteByte((byte)pictureParameterSets.Count);
        WriteList(record, pictureParameterSets);
        if (extension)
        {
            record.WriteByte((byte)(0xFC | sps.ChromaFormatIdc)); // bit(6) reserved, chroma_format
            record.WriteByte((byte)(0xF8 | (sps.BitDepthLuma - 8))); // bit(5) reserved, bit_depth_luma_minus8
            record.WriteByte((byte)(0xF8 | (sps.BitDepthChroma - 8))); // bit(5) reserved, bit_depth_chroma_minus8
            record.WriteByte((byte)spsExt.Count);
            WriteList(record, spsExt);
        }

        return record.ToArray();
    }

    private static bool ContainsUnit(List<byte[]> list, ReadOnlySpan<byte> unit)
    {
        foreach (byte[] known in list)
        {
            if (unit.SequenceEqual(known))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsAccessUnitDelimiter(ReadOnlySpan<byte> unit) => (unit[0] & 0x1F) == NalTypeAccessUnitDelimiter;

    private static void WriteList(MemoryStream record, IReadOnlyList<byte[]> units)
    {
        Span<byte> length = stackalloc byte[2];
        foreach (byte[] unit in units)
        {
            if (unit.Length is 0 or > ushort.MaxValue)
            {
                throw new H264BitstreamException(H264BitstreamError.MalformedParameterSet, $"avcC: parameter set of {unit.Length} bytes does not fit a 16-bit length");
            }

            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)unit.Length);
            record.Write(length);
            record.Write(unit);
        }
    }
}
