using System.Globalization;

namespace RtmpGateway.Media;

/// <summary>
/// AV1CodecConfigurationRecord, "AV1 Codec ISO Media File Format Binding" 2.3.3 (the "av1C" payload).
/// <code>
/// unsigned int (1) marker = 1;
/// unsigned int (7) version = 1;
/// unsigned int (3) seq_profile;
/// unsigned int (5) seq_level_idx_0;
/// unsigned int (1) seq_tier_0;
/// unsigned int (1) high_bitdepth;
/// unsigned int (1) twelve_bit;
/// unsigned int (1) monochrome;
/// unsigned int (1) chroma_subsampling_x;
/// unsigned int (1) chroma_subsampling_y;
/// unsigned int (2) chroma_sample_position;
/// unsigned int (3) reserved = 0;
/// unsigned int (1) initial_presentation_delay_present;
/// if (initial_presentation_delay_present) { unsigned int (4) initial_presentation_delay_minus_one; } else { unsigned int (4) reserved = 0; }
/// unsigned int (8) configOBUs[];
/// </code>
/// </summary>
public sealed class Av1CodecConfigurationRecord
{
    private Av1CodecConfigurationRecord()
    {
    }

    public int SeqProfile { get; private init; }

    public int SeqLevelIdx0 { get; private init; }

    public int SeqTier0 { get; private init; }

    public bool HighBitdepth { get; private init; }

    public bool TwelveBit { get; private init; }

    /// <summary>8, 10 or 12 (AV1 spec 5.5.2 color_config: BitDepth = high_bitdepth ? (twelve_bit ? 12 : 10) : 8).</summary>
    public int BitDepth => HighBitdepth ? (TwelveBit ? 12 : 10) : 8;

    public bool Monochrome { get; private init; }

    public bool ChromaSubsamplingX { get; private init; }

    public bool ChromaSubsamplingY { get; private init; }

    public int ChromaSamplePosition { get; private init; }

    public int? InitialPresentationDelayMinusOne { get; private init; }

    /// <summary>The configOBUs bytes (a copy).</summary>
    public ReadOnlyMemory<byte> ConfigObus { get; private init; }

    /// <summary>max_frame_width_minus_1 + 1 from the sequence header OBU in configOBUs; 0 when there is none.</summary>
    public int Width { get; private init; }

    public int Height { get; private init; }

    /// <summary>From the sequence header's timing_info when it states an equal picture interval.</summary>
    public double? FrameRate { get; private init; }

    public static Av1CodecConfigurationRecord Parse(ReadOnlySpan<byte> record)
    {
        var r = new ByteReader(record, MediaErrorReason.Av1ConfigMalformed, "AV1CodecConfigurationRecord");
        byte b0 = r.ReadU8();
        // "marker ... SHALL be set to 1"; "version ... SHALL be set to 1"
        if (b0 != 0x81)
        {
            throw r.Error($"marker/version byte 0x{b0:X2} is not 0x81");
        }

        byte b1 = r.ReadU8();
        byte b2 = r.ReadU8();
        byte b3 = r.ReadU8();
        ReadOnlySpan<byte> obus = r.ReadBytes(r.Remaining);
        int width = 0, height = 0;
        double? frameRate = null;
        Av1SequenceHeader? header = Av1SequenceHeader.FindIn(obus);
        if (header is { } h)
        {
            width = h.MaxFrameWidth;
            height = h.MaxFrameHeight;
            frameRate = h.FrameRate;
        }

        return new Av1CodecConfigurationRecord
        {
            SeqProfile = b1 >> 5,
            SeqLevelIdx0 = b1 & 0x1F,
            SeqTier0 = b2 >> 7,
            HighBitdepth = (b2 & 0x40) != 0,
            TwelveBit = (b2 & 0x20) != 0,
            Monochrome = (b2 & 0x10) != 0,
            ChromaSubsamplingX = (b2 & 0x08) != 0,
            ChromaSubsamplingY = (b2 & 0x04) != 0,
            ChromaSamplePosition = b2 & 0x03,
            InitialPresentationDelayMinusOne = (b3 & 0x10) != 0 ? b3 & 0x0F : null,
            ConfigObus = obus.ToArray(),
            Width = width,
            Height = height,
            FrameRate = frameRate,
        };
    }

    /// <summary>The short AV1 codec string "av01.P.LLT.DD" (AV1 ISOBMFF binding, Codecs Parameter String).</summary>
    public string CodecString() => string.Create(
        CultureInfo.InvariantCulture,
        $"av01.{SeqProfile}.{SeqLevelIdx0:D2}{(SeqTier0 == 0 ? 'M' : 'H')}.{BitDepth:D2}");
}

/// <summary>The fields of an AV1 sequence_header_obu (AV1 spec 5.5.1) up to the maximum frame size.</summary>
internal readonly record struct Av1SequenceHeader(int SeqProfile, int MaxFrameWidth, int MaxFrameHeight, double? FrameRate)
{
    private const int ObuSequenceHeader = 1;

    /// <summary>Walks the OBUs (5.3.1 open_bitstream_unit) and parses the first OBU_SEQUENCE_HEADER.</summary>
    public static Av1SequenceHeader? FindIn(ReadOnlySpan<byte> obus)
    {
        const string What = "AV1 configOBUs";
        while (!obus.IsEmpty)
        {
            // obu_header(): obu_forbidden_bit f(1), obu_type f(4), obu_extension_flag f(1), obu_has_size_field f(1), obu_reserved_1bit f(1)
            byte h = obus[0];
            if ((h & 0x80) != 0)
            {
                throw new MediaFormatException(MediaErrorReason.Av1SequenceHeaderMalformed, $"{What}: obu_forbidden_bit set");
            }

            int type = (h >> 3) & 0x0F;
            int pos = 1 + ((h & 0x04) != 0 ? 1 : 0);
            if (pos > obus.Length)
            {
                throw new MediaFormatException(MediaErrorReason.Av1SequenceHeaderMalformed, $"{What}: truncated OBU header");
            }

            int size;
            if ((h & 0x02) != 0)
            {
                size = ReadLeb128(obus, ref pos);
            }
            else
            {
                // "obu_has_size_field ... equal to 0 indicates ... the OBU extends to the end of the data"
                size = obus.Length - pos;
            }

            if (size > obus.Length - pos)
            {
                throw new MediaFormatException(
                    MediaErrorReason.Av1SequenceHeaderMalformed, $"{What}: obu_size {size} exceeds the {obus.Length - pos} byte(s) present");
            }

            if (type == ObuSequenceHeader)
            {
                return Parse(obus.Slice(pos, size));
            }

            obus = obus[(pos + size)..];
        }

        return null;
    }

    /// <summary>leb128() (4.10.5): at most 8 bytes, value below 2^32; here it must also fit an int.</summary>
    private static int ReadLeb128(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong value = 0;
        for (int i = 0; i < 8; i++)
        {
            if (pos >= data.Length)
            {
                throw new MediaFormatException(MediaErrorReason.Av1SequenceHeaderMalformed, "AV1 OBU: truncated obu_size");
            }

            byte b = data[pos++];
            value |= (ulong)(b & 0x7F) << (i * 7);
            if ((b & 0x80) == 0)
            {
                if (value > int.MaxValue)
                {
                    break;
                }

                return (int)value;
            }
        }

        throw new MediaFormatException(MediaErrorReason.Av1SequenceHeaderMalformed, "AV1 OBU: obu_size out of range");
    }

    private static Av1SequenceHeader Parse(ReadOnlySpan<byte> payload)
    {
        var r = new BitReader(payload, MediaErrorReason.Av1SequenceHeaderMalformed, "AV1 sequence_header_obu");
        int seqProfile = (int)r.ReadBits(3);
        r.Skip(1); // still_picture
        bool reduced = r.ReadFlag();
        double? frameRate = null;
        if (reduced)
        {
            r.Skip(5); // seq_level_idx[ 0 ]
        }
        else
        {
            bool decoderModelInfoPresent = false;
            int bufferDelayLength = 0;
            if (r.ReadFlag())
            {
                // timing_info()
                uint numUnitsInDisplayTick = r.ReadBits(32);
                uint timeScale = r.ReadBits(32);
                // "It is a requirement of bitstream conformance that num_units_in_display_tick is greater than 0." (same for time_scale)
                if (numUnitsInDisplayTick == 0 || timeScale == 0)
                {
                    throw r.Error("num_units_in_display_tick or time_scale is 0");
                }

                if (r.ReadFlag())
                {
                    // equal_picture_interval: num_ticks_per_picture_minus_1 uvlc()
                    ulong ticksPerPicture = (ulong)r.ReadUvlc() + 1;
                    frameRate = timeScale / ((double)numUnitsInDisplayTick * ticksPerPicture);
                }

                decoderModelInfoPresent = r.ReadFlag();
                if (decoderModelInfoPresent)
                {
                    // decoder_model_info()
                    bufferDelayLength = (int)r.ReadBits(5) + 1;
                    r.Skip(32 + 5 + 5); // num_units_in_decoding_tick, buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1
                }
            }

            bool initialDisplayDelayPresent = r.ReadFlag();
            int operatingPoints = (int)r.ReadBits(5) + 1;
            for (int i = 0; i < operatingPoints; i++)
            {
                r.Skip(12); // operating_point_idc[ i ]
                int seqLevelIdx = (int)r.ReadBits(5);
                if (seqLevelIdx > 7)
                {
                    r.Skip(1); // seq_tier[ i ]
                }

                if (decoderModelInfoPresent && r.ReadFlag())
                {
                    // operating_parameters_info( i ): decoder_buffer_delay f(n), encoder_buffer_delay f(n), low_delay_mode_flag f(1)
                    r.Skip((2L * bufferDelayLength) + 1);
                }

                if (initialDisplayDelayPresent && r.ReadFlag())
                {
                    r.Skip(4); // initial_display_delay_minus_1[ i ]
                }
            }
        }

        int widthBits = (int)r.ReadBits(4) + 1;
        int heightBits = (int)r.ReadBits(4) + 1;
        int width = (int)r.ReadBits(widthBits) + 1;
        int height = (int)r.ReadBits(heightBits) + 1;
        return new Av1SequenceHeader(seqProfile, width, height, frameRate);
    }
}
