namespace RtmpGateway.Media;

/// <summary>
/// The leading part of an H.265 sequence parameter set (ITU-T H.265 7.3.2.2.1), read up to the bit
/// depths: profile_tier_level, picture size and conformance window. Immutable.
/// </summary>
public sealed class HevcSps
{
    private HevcSps()
    {
    }

    public int MaxSubLayers { get; private init; }

    public int GeneralProfileSpace { get; private init; }

    public bool GeneralTierFlag { get; private init; }

    public int GeneralProfileIdc { get; private init; }

    public int GeneralLevelIdc { get; private init; }

    public int SeqParameterSetId { get; private init; }

    public int ChromaFormatIdc { get; private init; }

    public bool SeparateColourPlane { get; private init; }

    public int PicWidthInLumaSamples { get; private init; }

    public int PicHeightInLumaSamples { get; private init; }

    /// <summary>Width after the conformance window.</summary>
    public int Width { get; private init; }

    /// <summary>Height after the conformance window.</summary>
    public int Height { get; private init; }

    public int BitDepthLuma { get; private init; }

    public int BitDepthChroma { get; private init; }

    /// <summary>Parses a complete SPS NAL unit (two-byte NAL header, emulation prevention bytes in place).</summary>
    public static HevcSps Parse(ReadOnlySpan<byte> nalUnit)
    {
        const string What = "H.265 SPS";
        if (nalUnit.Length < 2)
        {
            throw new MediaFormatException(MediaErrorReason.HevcSpsMalformed, $"{What}: NAL unit shorter than its header");
        }

        // nal_unit_header: forbidden_zero_bit f(1), nal_unit_type u(6), nuh_layer_id u(6), nuh_temporal_id_plus1 u(3); 33 = SPS_NUT.
        int nalType = (nalUnit[0] >> 1) & 0x3F;
        if (nalType != 33)
        {
            throw new MediaFormatException(MediaErrorReason.HevcSpsMalformed, $"{What}: nal_unit_type {nalType} is not 33");
        }

        byte[] rbsp = Rbsp.Unescape(nalUnit[2..]);
        var r = new BitReader(rbsp, MediaErrorReason.HevcSpsMalformed, What);
        r.Skip(4); // sps_video_parameter_set_id
        // "The value of sps_max_sub_layers_minus1 shall be in the range of 0 to 6, inclusive."
        int maxSubLayersMinus1 = (int)r.ReadBits(3);
        if (maxSubLayersMinus1 > 6)
        {
            throw r.Error("sps_max_sub_layers_minus1 is 7");
        }

        r.Skip(1); // sps_temporal_id_nesting_flag

        // profile_tier_level( 1, sps_max_sub_layers_minus1 ), 7.3.3
        int profileSpace = (int)r.ReadBits(2);
        bool tier = r.ReadFlag();
        int profileIdc = (int)r.ReadBits(5);
        r.Skip(32 + 48); // general_profile_compatibility_flag[32], progressive..reserved/inbld (48 bits)
        int levelIdc = (int)r.ReadBits(8);
        Span<bool> subProfilePresent = stackalloc bool[8];
        Span<bool> subLevelPresent = stackalloc bool[8];
        for (int i = 0; i < maxSubLayersMinus1; i++)
        {
            subProfilePresent[i] = r.ReadFlag();
            subLevelPresent[i] = r.ReadFlag();
        }

        if (maxSubLayersMinus1 > 0)
        {
            r.Skip(2L * (8 - maxSubLayersMinus1)); // reserved_zero_2bits for i = maxNumSubLayersMinus1..7
        }

        for (int i = 0; i < maxSubLayersMinus1; i++)
        {
            if (subProfilePresent[i])
            {
                r.Skip(2 + 1 + 5 + 32 + 48); // sub_layer profile space, tier, idc, compat, constraint flags
            }

            if (subLevelPresent[i])
            {
                r.Skip(8); // sub_layer_level_idc
            }
        }

        // "The value of sps_seq_parameter_set_id shall be in the range of 0 to 15, inclusive."
        int spsId = r.ReadUe(15, "sps_seq_parameter_set_id");
        // "The value of chroma_format_idc shall be in the range of 0 to 3, inclusive."
        int chromaFormatIdc = r.ReadUe(3, "chroma_format_idc");
        bool separate = chromaFormatIdc == 3 && r.ReadFlag();
        // Level 6.2's MaxLumaPs is 35 651 584; Sqrt(MaxLumaPs * 8) = 16 888 bounds each side.
        int width = r.ReadUe(16888, "pic_width_in_luma_samples");
        int height = r.ReadUe(16888, "pic_height_in_luma_samples");
        if (width == 0 || height == 0)
        {
            throw r.Error("pic_width/height_in_luma_samples is 0");
        }

        int left = 0, right = 0, top = 0, bottom = 0;
        if (r.ReadFlag())
        {
            left = r.ReadUe(16888, "conf_win_left_offset");
            right = r.ReadUe(16888, "conf_win_right_offset");
            top = r.ReadUe(16888, "conf_win_top_offset");
            bottom = r.ReadUe(16888, "conf_win_bottom_offset");
        }

        // 7.4.3.2.1: the window spans SubWidthC * conf_win_left_offset to
        // pic_width_in_luma_samples - ( SubWidthC * conf_win_right_offset + 1 ) (likewise SubHeightC vertically);
        // ChromaArrayType 0 (monochrome or separate planes) uses 1 for both.
        int chromaArrayType = separate ? 0 : chromaFormatIdc;
        int subWidthC = chromaArrayType is 1 or 2 ? 2 : 1;
        int subHeightC = chromaArrayType == 1 ? 2 : 1;
        int croppedWidth = width - (subWidthC * (left + right));
        int croppedHeight = height - (subHeightC * (top + bottom));
        if (croppedWidth <= 0 || croppedHeight <= 0)
        {
            throw r.Error($"conformance window ({left},{right},{top},{bottom}) leaves no picture");
        }

        // "The value of bit_depth_luma_minus8 shall be in the range of 0 to 8, inclusive."
        int bitDepthLuma = 8 + r.ReadUe(8, "bit_depth_luma_minus8");
        int bitDepthChroma = 8 + r.ReadUe(8, "bit_depth_chroma_minus8");

        return new HevcSps
        {
            MaxSubLayers = maxSubLayersMinus1 + 1,
            GeneralProfileSpace = profileSpace,
            GeneralTierFlag = tier,
            GeneralProfileIdc = profileIdc,
            GeneralLevelIdc = levelIdc,
            SeqParameterSetId = spsId,
            ChromaFormatIdc = chromaFormatIdc,
            SeparateColourPlane = separate,
            PicWidthInLumaSamples = width,
            PicHeightInLumaSamples = height,
            Width = croppedWidth,
            Height = croppedHeight,
            BitDepthLuma = bitDepthLuma,
            BitDepthChroma = bitDepthChroma,
        };
    }
}
