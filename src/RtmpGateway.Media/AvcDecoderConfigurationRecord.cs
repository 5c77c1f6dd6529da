namespace RtmpGateway.Media;

/// <summary>
/// AVCDecoderConfigurationRecord, ISO/IEC 14496-15 5.3.3.1 (the "avcC" payload, and the body of an FLV
/// AVC sequence header).
/// <code>
/// unsigned int(8) configurationVersion = 1;
/// unsigned int(8) AVCProfileIndication;
/// unsigned int(8) profile_compatibility;
/// unsigned int(8) AVCLevelIndication;
/// bit(6) reserved = '111111'b;  unsigned int(2) lengthSizeMinusOne;
/// bit(3) reserved = '111'b;     unsigned int(5) numOfSequenceParameterSets;
///   for (i=0; i&lt; numOfSequenceParameterSets; i++) { unsigned int(16) sequenceParameterSetLength; bit(8*sequenceParameterSetLength) sequenceParameterSetNALUnit; }
/// unsigned int(8) numOfPictureParameterSets;
///   for (i=0; i&lt; numOfPictureParameterSets; i++) { unsigned int(16) pictureParameterSetLength; bit(8*pictureParameterSetLength) pictureParameterSetNALUnit; }
/// if( AVCProfileIndication == 100 || == 110 || == 122 || == 144 ) {
///   bit(6) reserved = '111111'b; unsigned int(2) chroma_format;
///   bit(5) reserved = '11111'b;  unsigned int(3) bit_depth_luma_minus8;
///   bit(5) reserved = '11111'b;  unsigned int(3) bit_depth_chroma_minus8;
///   unsigned int(8) numOfSequenceParameterSetExt;
///   for (i=0; i&lt; numOfSequenceParameterSetExt; i++) { unsigned int(16) sequenceParameterSetExtLength; bit(8*sequenceParameterSetExtLength) sequenceParameterSetExtNALUnit; }
/// }
/// </code>
/// </summary>
public sealed class AvcDecoderConfigurationRecord
{
    private AvcDecoderConfigurationRecord(
        int profileIndication,
        int profileCompatibility,
        int levelIndication,
        int nalUnitLengthSize,
        IReadOnlyList<ReadOnlyMemory<byte>> sps,
        IReadOnlyList<ReadOnlyMemory<byte>> pps)
    {
        ProfileIndication = profileIndication;
        ProfileCompatibility = profileCompatibility;
        LevelIndication = levelIndication;
        NalUnitLengthSize = nalUnitLengthSize;
        SequenceParameterSets = sps;
        PictureParameterSets = pps;
    }

    public int ProfileIndication { get; }

    public int ProfileCompatibility { get; }

    public int LevelIndication { get; }

    /// <summary>lengthSizeMinusOne + 1: 1, 2 or 4 bytes per NAL unit length prefix.</summary>
    public int NalUnitLengthSize { get; }

    /// <summary>SPS NAL units (copies), in record order.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> SequenceParameterSets { get; }

    public IReadOnlyList<ReadOnlyMemory<byte>> PictureParameterSets { get; }

    /// <summary>True when the High-profile extension (chroma_format, bit depths, SPS ext) was present.</summary>
    public bool HasHighProfileExtension { get; private init; }

    public int ChromaFormat { get; private init; } = -1;

    public int BitDepthLuma { get; private init; } = -1;

    public int BitDepthChroma { get; private init; } = -1;

    public IReadOnlyList<ReadOnlyMemory<byte>> SequenceParameterSetExts { get; private init; } = [];

    public static AvcDecoderConfigurationRecord Parse(ReadOnlySpan<byte> record)
    {
        var r = new ByteReader(record, MediaErrorReason.AvcConfigMalformed, "AVCDecoderConfigurationRecord");
        int version = r.ReadU8();
        // "configurationVersion = 1"; "Decoders should not attempt to decode or stream that have a version they do not recognize."
        if (version != 1)
        {
            throw r.Error($"configurationVersion {version} is not 1");
        }

        int profile = r.ReadU8();
        int compat = r.ReadU8();
        int level = r.ReadU8();
        int lengthSizeMinusOne = r.ReadU8() & 0x03;
        // "The value of this field shall be one of 0, 1, or 3 corresponding to a length encoded with 1, 2, or 4 bytes"
        if (lengthSizeMinusOne == 2)
        {
            throw r.Error("lengthSizeMinusOne 2 (3-byte lengths) is not allowed");
        }

        int numSps = r.ReadU8() & 0x1F;
        List<ReadOnlyMemory<byte>> sps = ReadNalList(ref r, numSps);
        int numPps = r.ReadU8();
        List<ReadOnlyMemory<byte>> pps = ReadNalList(ref r, numPps);

        var result = new AvcDecoderConfigurationRecord(profile, compat, level, lengthSizeMinusOne + 1, sps, pps);
        // The extension is written only for these profiles, and many muxers omit it even then
        // (14496-15 first editions had no such field), so it is read only when bytes remain.
        if (profile is 100 or 110 or 122 or 144 && r.Remaining >= 4)
        {
            int chroma = r.ReadU8() & 0x03;
            int luma = (r.ReadU8() & 0x07) + 8;
            int chromaDepth = (r.ReadU8() & 0x07) + 8;
            int numExt = r.ReadU8();
            List<ReadOnlyMemory<byte>> ext = ReadNalList(ref r, numExt);
            result = new AvcDecoderConfigurationRecord(profile, compat, level, lengthSizeMinusOne + 1, sps, pps)
            {
                HasHighProfileExtension = true,
                ChromaFormat = chroma,
                BitDepthLuma = luma,
                BitDepthChroma = chromaDepth,
                SequenceParameterSetExts = ext,
            };
        }

        return result;
    }

    /// <summary>Parses the first SPS of the record, or returns null when the record carries none.</summary>
    public H264Sps? ParseFirstSps() =>
        SequenceParameterSets.Count == 0 ? null : H264Sps.Parse(SequenceParameterSets[0].Span);

    private static List<ReadOnlyMemory<byte>> ReadNalList(ref ByteReader r, int count)
    {
        // The list grows with what is actually read; a declared count never pre-sizes it.
        var list = new List<ReadOnlyMemory<byte>>();
        for (int i = 0; i < count; i++)
        {
            int length = r.ReadU16();
            if (length == 0)
            {
                throw r.Error($"parameter set {i} has length 0");
            }

            list.Add(r.ReadBytes(length).ToArray());
        }

        return list;
    }
}
