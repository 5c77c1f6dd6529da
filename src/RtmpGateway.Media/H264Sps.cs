namespace RtmpGateway.Media;

/// <summary>
/// H.264 sequence parameter set, ISO/IEC 14496-10 7.3.2.1.1 (seq_parameter_set_data) and E.1.1
/// (vui_parameters, read up to and including timing_info). Immutable.
/// </summary>
public sealed class H264Sps
{
    private H264Sps()
    {
    }

    public int ProfileIdc { get; private init; }

    /// <summary>constraint_set0_flag..constraint_set5_flag and reserved_zero_2bits, as the byte that follows profile_idc.</summary>
    public byte ConstraintFlags { get; private init; }

    public int LevelIdc { get; private init; }

    public int SeqParameterSetId { get; private init; }

    /// <summary>chroma_format_idc; "When chroma_format_idc is not present, it shall be inferred to be equal to 1".</summary>
    public int ChromaFormatIdc { get; private init; } = 1;

    public bool SeparateColourPlane { get; private init; }

    public int BitDepthLuma { get; private init; } = 8;

    public int BitDepthChroma { get; private init; } = 8;

    public bool SeqScalingMatrixPresent { get; private init; }

    public int Log2MaxFrameNum { get; private init; }

    public int PicOrderCntType { get; private init; }

    public int MaxNumRefFrames { get; private init; }

    public int PicWidthInMbs { get; private init; }

    public int PicHeightInMapUnits { get; private init; }

    public bool FrameMbsOnly { get; private init; }

    public bool MbAdaptiveFrameField { get; private init; }

    public int FrameCropLeft { get; private init; }

    public int FrameCropRight { get; private init; }

    public int FrameCropTop { get; private init; }

    public int FrameCropBottom { get; private init; }

    /// <summary>Display width in luma samples after frame cropping.</summary>
    public int Width { get; private init; }

    /// <summary>Display height in luma samples after frame cropping.</summary>
    public int Height { get; private init; }

    public bool VuiPresent { get; private init; }

    /// <summary>aspect_ratio_idc, 0 when absent (Unspecified).</summary>
    public int AspectRatioIdc { get; private init; }

    /// <summary>Sample aspect ratio from Table E-1 or Extended_SAR; 0 when unspecified.</summary>
    public int SarWidth { get; private init; }

    public int SarHeight { get; private init; }

    public bool TimingInfoPresent { get; private init; }

    public uint NumUnitsInTick { get; private init; }

    public uint TimeScale { get; private init; }

    public bool FixedFrameRate { get; private init; }

    /// <summary>
    /// time_scale / (2 * num_units_in_tick): E.2.1 says a clock tick is num_units_in_tick / time_scale
    /// seconds and a frame (two fields) lasts two ticks. Null without VUI timing info.
    /// </summary>
    public double? FrameRate =>
        TimingInfoPresent && NumUnitsInTick != 0 && TimeScale != 0 ? TimeScale / (2.0 * NumUnitsInTick) : null;

    // Table E-1 - Meaning of sample aspect ratio indicator, entries 1..16.
    private static readonly (int W, int H)[] SarTable =
    [
        (0, 0), (1, 1), (12, 11), (10, 11), (16, 11), (40, 33), (24, 11), (20, 11), (32, 11),
        (80, 33), (18, 11), (15, 11), (64, 33), (160, 99), (4, 3), (3, 2), (2, 1),
    ];

    /// <summary>Parses a complete SPS NAL unit (with its one-byte NAL header, emulation prevention bytes in place).</summary>
    public static H264Sps Parse(ReadOnlySpan<byte> nalUnit)
    {
        const string What = "H.264 SPS";
        if (nalUnit.IsEmpty)
        {
            throw new MediaFormatException(MediaErrorReason.SpsMalformed, $"{What}: empty NAL unit");
        }

        // nal_unit_header: forbidden_zero_bit f(1), nal_ref_idc u(2), nal_unit_type u(5); 7 = SPS.
        int nalType = nalUnit[0] & 0x1F;
        if (nalType != 7)
        {
            throw new MediaFormatException(MediaErrorReason.SpsMalformed, $"{What}: nal_unit_type {nalType} is not 7");
        }

        byte[] rbsp = Rbsp.Unescape(nalUnit[1..]);
        var r = new BitReader(rbsp, MediaErrorReason.SpsMalformed, What);

        int profileIdc = (int)r.ReadBits(8);
        byte constraints = (byte)r.ReadBits(8);
        int levelIdc = (int)r.ReadBits(8);
        // seq_parameter_set_id: "The value of seq_parameter_set_id shall be in the range of 0 to 31, inclusive."
        int spsId = r.ReadUe(31, "seq_parameter_set_id");

        int chromaFormatIdc = 1;
        bool separateColourPlane = false;
        int bitDepthLuma = 8;
        int bitDepthChroma = 8;
        bool scalingMatrix = false;
        if (profileIdc is 100 or 110 or 122 or 244 or 44 or 83 or 86 or 118 or 128 or 138 or 139 or 134 or 135)
        {
            // "The value of chroma_format_idc shall be in the range of 0 to 3, inclusive."
            chromaFormatIdc = r.ReadUe(3, "chroma_format_idc");
            if (chromaFormatIdc == 3)
            {
                separateColourPlane = r.ReadFlag();
            }

            // "bit_depth_luma_minus8 shall be in the range of 0 to 6, inclusive." (same for chroma)
            bitDepthLuma = 8 + r.ReadUe(6, "bit_depth_luma_minus8");
            bitDepthChroma = 8 + r.ReadUe(6, "bit_depth_chroma_minus8");
            r.Skip(1); // qpprime_y_zero_transform_bypass_flag
            scalingMatrix = r.ReadFlag();
            if (scalingMatrix)
            {
                int lists = chromaFormatIdc != 3 ? 8 : 12;
                for (int i = 0; i < lists; i++)
                {
                    if (r.ReadFlag())
                    {
                        SkipScalingList(ref r, i < 6 ? 16 : 64);
                    }
                }
            }
        }

        // "log2_max_frame_num_minus4 shall be in the range of 0 to 12, inclusive."
        int log2MaxFrameNum = 4 + r.ReadUe(12, "log2_max_frame_num_minus4");
        int pocType = r.ReadUe(2, "pic_order_cnt_type");
        if (pocType == 0)
        {
            r.ReadUe(12, "log2_max_pic_order_cnt_lsb_minus4");
        }
        else if (pocType == 1)
        {
            r.Skip(1); // delta_pic_order_always_zero_flag
            r.ReadSe(); // offset_for_non_ref_pic
            r.ReadSe(); // offset_for_top_to_bottom_field
            // "num_ref_frames_in_pic_order_cnt_cycle shall be in the range of 0 to 255, inclusive."
            int cycle = r.ReadUe(255, "num_ref_frames_in_pic_order_cnt_cycle");
            for (int i = 0; i < cycle; i++)
            {
                r.ReadSe(); // offset_for_ref_frame[i]
            }
        }

        // max_num_ref_frames "shall be in the range of 0 to MaxDpbFrames" (at most 16).
        int maxNumRefFrames = r.ReadUe(16, "max_num_ref_frames");
        r.Skip(1); // gaps_in_frame_num_value_allowed_flag
        // Level 6.2 allows MaxFrameSizeInMbs 139264; 1023 macroblocks (16368 luma samples) per side is beyond any level.
        int widthMbs = r.ReadUe(1023, "pic_width_in_mbs_minus1") + 1;
        int heightMapUnits = r.ReadUe(1023, "pic_height_in_map_units_minus1") + 1;
        bool frameMbsOnly = r.ReadFlag();
        bool mbaff = !frameMbsOnly && r.ReadFlag();
        r.Skip(1); // direct_8x8_inference_flag
        int cropLeft = 0, cropRight = 0, cropTop = 0, cropBottom = 0;
        if (r.ReadFlag())
        {
            cropLeft = r.ReadUe(16368, "frame_crop_left_offset");
            cropRight = r.ReadUe(16368, "frame_crop_right_offset");
            cropTop = r.ReadUe(16368, "frame_crop_top_offset");
            cropBottom = r.ReadUe(16368, "frame_crop_bottom_offset");
        }

        // 7.4.2.1.1: ChromaArrayType = separate_colour_plane_flag ? 0 : chroma_format_idc;
        // CropUnitX = ChromaArrayType == 0 ? 1 : SubWidthC,
        // CropUnitY = ChromaArrayType == 0 ? 2 - frame_mbs_only_flag : SubHeightC * (2 - frame_mbs_only_flag).
        int chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
        int subWidthC = chromaArrayType is 1 or 2 ? 2 : 1;
        int subHeightC = chromaArrayType == 1 ? 2 : 1;
        int fieldFactor = frameMbsOnly ? 1 : 2;
        int cropUnitX = chromaArrayType == 0 ? 1 : subWidthC;
        int cropUnitY = chromaArrayType == 0 ? fieldFactor : subHeightC * fieldFactor;
        int width = (widthMbs * 16) - (cropUnitX * (cropLeft + cropRight));
        int height = (fieldFactor * heightMapUnits * 16) - (cropUnitY * (cropTop + cropBottom));
        // "frame_crop_left_offset shall be in the range of 0 to (PicWidthInSamplesL / CropUnitX) - (frame_crop_right_offset + 1)"
        if (width <= 0 || height <= 0)
        {
            throw r.Error($"frame cropping ({cropLeft},{cropRight},{cropTop},{cropBottom}) leaves no picture");
        }

        bool vuiPresent = r.ReadFlag();
        int aspectRatioIdc = 0, sarW = 0, sarH = 0;
        bool timing = false, fixedFrameRate = false;
        uint numUnitsInTick = 0, timeScale = 0;
        if (vuiPresent)
        {
            if (r.ReadFlag())
            {
                aspectRatioIdc = (int)r.ReadBits(8);
                if (aspectRatioIdc == 255)
                {
                    // Extended_SAR
                    sarW = (int)r.ReadBits(16);
                    sarH = (int)r.ReadBits(16);
                }
                else if (aspectRatioIdc < SarTable.Length)
                {
                    (sarW, sarH) = SarTable[aspectRatioIdc];
                }
            }

            if (r.ReadFlag())
            {
                r.Skip(1); // overscan_appropriate_flag
            }

            if (r.ReadFlag())
            {
                r.Skip(3 + 1); // video_format, video_full_range_flag
                if (r.ReadFlag())
                {
                    r.Skip(8 + 8 + 8); // colour_primaries, transfer_characteristics, matrix_coefficients
                }
            }

            if (r.ReadFlag())
            {
                r.ReadUe(5, "chroma_sample_loc_type_top_field");
                r.ReadUe(5, "chroma_sample_loc_type_bottom_field");
            }

            timing = r.ReadFlag();
            if (timing)
            {
                numUnitsInTick = r.ReadBits(32);
                timeScale = r.ReadBits(32);
                fixedFrameRate = r.ReadFlag();
            }

            // The rest (HRD, bitstream restriction) is not needed here.
        }

        return new H264Sps
        {
            ProfileIdc = profileIdc,
            ConstraintFlags = constraints,
            LevelIdc = levelIdc,
            SeqParameterSetId = spsId,
            ChromaFormatIdc = chromaFormatIdc,
            SeparateColourPlane = separateColourPlane,
            BitDepthLuma = bitDepthLuma,
            BitDepthChroma = bitDepthChroma,
            SeqScalingMatrixPresent = scalingMatrix,
            Log2MaxFrameNum = log2MaxFrameNum,
            PicOrderCntType = pocType,
            MaxNumRefFrames = maxNumRefFrames,
            PicWidthInMbs = widthMbs,
            PicHeightInMapUnits = heightMapUnits,
            FrameMbsOnly = frameMbsOnly,
            MbAdaptiveFrameField = mbaff,
            FrameCropLeft = cropLeft,
            FrameCropRight = cropRight,
            FrameCropTop = cropTop,
            FrameCropBottom = cropBottom,
            Width = width,
            Height = height,
            VuiPresent = vuiPresent,
            AspectRatioIdc = aspectRatioIdc,
            SarWidth = sarW,
            SarHeight = sarH,
            TimingInfoPresent = timing,
            NumUnitsInTick = numUnitsInTick,
            TimeScale = timeScale,
            FixedFrameRate = fixedFrameRate,
        };
    }

    /// <summary>scaling_list( scalingList, sizeOfScalingList, ... ), 7.3.2.1.1.1; only the syntax is consumed.</summary>
    private static void SkipScalingList(ref BitReader r, int size)
    {
        int lastScale = 8;
        int nextScale = 8;
        for (int j = 0; j < size; j++)
        {
            if (nextScale != 0)
            {
                // "The value of delta_scale shall be in the range of -128 to +127, inclusive."
                int delta = r.ReadSe();
                if (delta is < -128 or > 127)
                {
                    throw r.Error($"delta_scale {delta} out of range");
                }

                nextScale = (lastScale + delta + 256) % 256;
            }

            lastScale = nextScale == 0 ? lastScale : nextScale;
        }
    }
}
