using System.Globalization;
using System.Text;

namespace RtmpGateway.Media;

/// <summary>One NAL unit array of an hvcC: array_completeness, NAL_unit_type and its NAL units (copies).</summary>
public sealed record HevcNalArray(bool ArrayCompleteness, int NalUnitType, IReadOnlyList<ReadOnlyMemory<byte>> NalUnits);

/// <summary>
/// HEVCDecoderConfigurationRecord, ISO/IEC 14496-15 8.3.3.1 (the "hvcC" payload).
/// <code>
/// unsigned int(8) configurationVersion = 1;
/// unsigned int(2) general_profile_space; unsigned int(1) general_tier_flag; unsigned int(5) general_profile_idc;
/// unsigned int(32) general_profile_compatibility_flags;
/// unsigned int(48) general_constraint_indicator_flags;
/// unsigned int(8) general_level_idc;
/// bit(4) reserved = '1111'b; unsigned int(12) min_spatial_segmentation_idc;
/// bit(6) reserved = '111111'b; unsigned int(2) parallelismType;
/// bit(6) reserved = '111111'b; unsigned int(2) chromaFormat;
/// bit(5) reserved = '11111'b; unsigned int(3) bitDepthLumaMinus8;
/// bit(5) reserved = '11111'b; unsigned int(3) bitDepthChromaMinus8;
/// bit(16) avgFrameRate;
/// bit(2) constantFrameRate; bit(3) numTemporalLayers; bit(1) temporalIdNested; unsigned int(2) lengthSizeMinusOne;
/// unsigned int(8) numOfArrays;
/// for (j=0; j &lt; numOfArrays; j++) {
///   bit(1) array_completeness; unsigned int(1) reserved = 0; unsigned int(6) NAL_unit_type;
///   unsigned int(16) numNalus;
///   for (i=0; i&lt; numNalus; i++) { unsigned int(16) nalUnitLength; bit(8*nalUnitLength) nalUnit; }
/// }
/// </code>
/// </summary>
public sealed class HevcDecoderConfigurationRecord
{
    private HevcDecoderConfigurationRecord()
    {
    }

    public int GeneralProfileSpace { get; private init; }

    public bool GeneralTierFlag { get; private init; }

    public int GeneralProfileIdc { get; private init; }

    public uint GeneralProfileCompatibilityFlags { get; private init; }

    /// <summary>general_constraint_indicator_flags, the low 48 bits.</summary>
    public ulong GeneralConstraintIndicatorFlags { get; private init; }

    public int GeneralLevelIdc { get; private init; }

    public int MinSpatialSegmentationIdc { get; private init; }

    public int ParallelismType { get; private init; }

    public int ChromaFormat { get; private init; }

    public int BitDepthLuma { get; private init; }

    public int BitDepthChroma { get; private init; }

    /// <summary>avgFrameRate in frames per 256 seconds; 0 = unspecified.</summary>
    public int AvgFrameRate { get; private init; }

    public int ConstantFrameRate { get; private init; }

    public int NumTemporalLayers { get; private init; }

    public bool TemporalIdNested { get; private init; }

    public int NalUnitLengthSize { get; private init; }

    public IReadOnlyList<HevcNalArray> Arrays { get; private init; } = [];

    /// <summary>The first SPS (NAL type 33) parsed, or null when the record carries none.</summary>
    public HevcSps? Sps { get; private init; }

    /// <summary>Display width from the SPS (after the conformance window), 0 without an SPS.</summary>
    public int Width => Sps?.Width ?? 0;

    public int Height => Sps?.Height ?? 0;

    /// <summary>avgFrameRate / 256 when the record states one.</summary>
    public double? FrameRate => AvgFrameRate == 0 ? null : AvgFrameRate / 256.0;

    public static HevcDecoderConfigurationRecord Parse(ReadOnlySpan<byte> record)
    {
        var r = new ByteReader(record, MediaErrorReason.HvcConfigMalformed, "HEVCDecoderConfigurationRecord");
        int version = r.ReadU8();
        if (version != 1)
        {
            throw r.Error($"configurationVersion {version} is not 1");
        }

        byte b = r.ReadU8();
        uint compat = r.ReadU32();
        ulong constraints = ((ulong)r.ReadU16() << 32) | r.ReadU32();
        int level = r.ReadU8();
        int minSpatial = r.ReadU16() & 0x0FFF;
        int parallelism = r.ReadU8() & 0x03;
        int chroma = r.ReadU8() & 0x03;
        int luma = (r.ReadU8() & 0x07) + 8;
        int chromaDepth = (r.ReadU8() & 0x07) + 8;
        int avgFrameRate = r.ReadU16();
        byte f = r.ReadU8();
        // lengthSizeMinusOne: "The value of this field shall be one of 0, 1, or 3"
        int lengthSizeMinusOne = f & 0x03;
        if (lengthSizeMinusOne == 2)
        {
            throw r.Error("lengthSizeMinusOne 2 (3-byte lengths) is not allowed");
        }

        int numArrays = r.ReadU8();
        var arrays = new List<HevcNalArray>();
        HevcSps? sps = null;
        for (int j = 0; j < numArrays; j++)
        {
            byte a = r.ReadU8();
            int nalType = a & 0x3F;
            int numNalus = r.ReadU16();
            var nalus = new List<ReadOnlyMemory<byte>>();
            for (int i = 0; i < numNalus; i++)
            {
                int length = r.ReadU16();
                if (length == 0)
                {
                    throw r.Error($"array {j} NAL unit {i} has length 0");
                }

                ReadOnlySpan<byte> nal = r.ReadBytes(length);
                nalus.Add(nal.ToArray());
                if (nalType == 33 && sps is null)
                {
                    sps = HevcSps.Parse(nal);
                }
            }

            arrays.Add(new HevcNalArray((a & 0x80) != 0, nalType, nalus));
        }

        return new HevcDecoderConfigurationRecord
        {
            GeneralProfileSpace = b >> 6,
            GeneralTierFlag = (b & 0x20) != 0,
            GeneralProfileIdc = b & 0x1F,
            GeneralProfileCompatibilityFlags = compat,
            GeneralConstraintIndicatorFlags = constraints,
            GeneralLevelIdc = level,
            MinSpatialSegmentationIdc = minSpatial,
            ParallelismType = parallelism,
            ChromaFormat = chroma,
            BitDepthLuma = luma,
            BitDepthChroma = chromaDepth,
            AvgFrameRate = avgFrameRate,
            ConstantFrameRate = f >> 6,
            NumTemporalLayers = (f >> 3) & 0x07,
            TemporalIdNested = (f & 0x04) != 0,
            NalUnitLengthSize = lengthSizeMinusOne + 1,
            Arrays = arrays,
            Sps = sps,
        };
    }

    /// <summary>
    /// RFC 6381 / ISO/IEC 14496-15 Annex E.3 codec string, e.g. "hvc1.1.6.L93.90": profile space letter
    /// (none, A, B, C) and profile_idc; the 32 compatibility flags in reverse bit order as hex without
    /// leading zeros; L or H (tier) and level_idc; then the six constraint bytes in hex, trailing zero
    /// bytes omitted.
    /// </summary>
    public string CodecString(string sampleEntry = "hvc1")
    {
        var sb = new StringBuilder(sampleEntry);
        sb.Append('.');
        if (GeneralProfileSpace > 0)
        {
            sb.Append((char)('A' + GeneralProfileSpace - 1));
        }

        sb.Append(GeneralProfileIdc.ToString(CultureInfo.InvariantCulture));
        uint reversed = 0;
        for (int i = 0; i < 32; i++)
        {
            reversed |= ((GeneralProfileCompatibilityFlags >> i) & 1u) << (31 - i);
        }

        sb.Append('.').Append(reversed.ToString("X", CultureInfo.InvariantCulture));
        sb.Append('.').Append(GeneralTierFlag ? 'H' : 'L').Append(GeneralLevelIdc.ToString(CultureInfo.InvariantCulture));
        int lastNonZero = -1;
        for (int i = 0; i < 6; i++)
        {
            if (ConstraintByte(i) != 0)
            {
                lastNonZero = i;
            }
        }

        for (int i = 0; i <= lastNonZero; i++)
        {
            sb.Append('.').Append(ConstraintByte(i).ToString("X", CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private byte ConstraintByte(int i) => (byte)(GeneralConstraintIndicatorFlags >> (8 * (5 - i)));
}
