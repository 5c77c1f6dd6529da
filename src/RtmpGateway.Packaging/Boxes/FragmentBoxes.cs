namespace RtmpGateway.Packaging.Boxes;

/// <summary>
/// The boxes of a movie fragment (ISO/IEC 14496-12 §8.8.4 - §8.8.12), each with an exact size so a
/// fragment can be laid out before it is written.
/// </summary>
public static class FragmentBoxes
{
    /// <summary>tfhd flag 0x020000 default-base-is-moof: "the base-data-offset for this track fragment is the position of the first byte of the enclosing MovieFragmentBox".</summary>
    public const uint TfhdDefaultBaseIsMoof = 0x02_0000;

    /// <summary>trun flag 0x000001 data-offset-present.</summary>
    public const uint TrunDataOffsetPresent = 0x00_0001;

    /// <summary>trun flag 0x000004 first-sample-flags-present.</summary>
    public const uint TrunFirstSampleFlagsPresent = 0x00_0004;

    /// <summary>trun flag 0x000100 sample-duration-present.</summary>
    public const uint TrunSampleDurationPresent = 0x00_0100;

    /// <summary>trun flag 0x000200 sample-size-present.</summary>
    public const uint TrunSampleSizePresent = 0x00_0200;

    /// <summary>trun flag 0x000400 sample-flags-present.</summary>
    public const uint TrunSampleFlagsPresent = 0x00_0400;

    /// <summary>trun flag 0x000800 sample-composition-time-offsets-present.</summary>
    public const uint TrunSampleCompositionTimeOffsetsPresent = 0x00_0800;

    public const int MfhdSize = BoxWriter.FullBoxHeaderSize + 4;

    /// <summary>tfhd with only the track_ID (no optional fields).</summary>
    public const int TfhdSize = BoxWriter.FullBoxHeaderSize + 4;

    /// <summary>tfdt version 1.</summary>
    public const int TfdtSize = BoxWriter.FullBoxHeaderSize + 8;

    /// <summary>trun with data_offset and, per sample, duration, size, flags and composition offset.</summary>
    public static int TrunSize(int sampleCount) => BoxWriter.FullBoxHeaderSize + 4 + 4 + (16 * sampleCount);

    /// <summary>
    /// §8.8.5 MovieFragmentHeaderBox: <c>unsigned int(32) sequence_number;</c>
    /// "The sequence_number ... usually starts at 1 and increases for each movie fragment in the file, in the order in which they occur."
    /// </summary>
    public static void WriteMfhd(ref BoxWriter writer, uint sequenceNumber)
    {
        int box = writer.StartFullBox(BoxType.Mfhd, 0, 0);
        writer.WriteUInt32(sequenceNumber);
        writer.EndBox(box);
    }

    /// <summary>
    /// §8.8.7 TrackFragmentHeaderBox with tf_flags = default-base-is-moof and no optional fields:
    /// <code>
    /// aligned(8) class TrackFragmentHeaderBox extends FullBox('tfhd', 0, tf_flags) {
    ///    unsigned int(32) track_ID;
    ///    // all the following are optional fields, present per tf_flags
    ///    unsigned int(64) base_data_offset; unsigned int(32) sample_description_index;
    ///    unsigned int(32) default_sample_duration; unsigned int(32) default_sample_size;
    ///    unsigned int(32) default_sample_flags;
    /// }
    /// </code>
    /// The sample description index comes from trex (1); every sample's duration, size and flags are in trun.
    /// </summary>
    public static void WriteTfhd(ref BoxWriter writer, uint trackId)
    {
        int box = writer.StartFullBox(BoxType.Tfhd, 0, TfhdDefaultBaseIsMoof);
        writer.WriteUInt32(trackId);
        writer.EndBox(box);
    }

    /// <summary>
    /// §8.8.12 TrackFragmentBaseMediaDecodeTimeBox, version 1:
    /// <code>
    /// aligned(8) class TrackFragmentBaseMediaDecodeTimeBox extends FullBox('tfdt', version, 0) {
    ///    if (version==1) { unsigned int(64) baseMediaDecodeTime; }
    ///    else { unsigned int(32) baseMediaDecodeTime; }
    /// }
    /// </code>
    /// </summary>
    public static void WriteTfdt(ref BoxWriter writer, long baseMediaDecodeTime)
    {
        if (baseMediaDecodeTime < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(baseMediaDecodeTime), baseMediaDecodeTime, "baseMediaDecodeTime is unsigned");
        }

        int box = writer.StartFullBox(BoxType.Tfdt, 1, 0);
        writer.WriteUInt64((ulong)baseMediaDecodeTime);
        writer.EndBox(box);
    }

    /// <summary>
    /// §8.8.8 TrackRunBox, version 1, with data-offset, sample-duration, sample-size, sample-flags and
    /// sample-composition-time-offsets present:
    /// <code>
    /// aligned(8) class TrackRunBox extends FullBox('trun', version, tr_flags) {
    ///    unsigned int(32) sample_count;
    ///    signed int(32) data_offset;                          // 0x000001
    ///    unsigned int(32) first_sample_flags;                 // 0x000004, not used
    ///    {
    ///       unsigned int(32) sample_duration;                 // 0x000100
    ///       unsigned int(32) sample_size;                     // 0x000200
    ///       unsigned int(32) sample_flags                     // 0x000400
    ///       if (version == 0) { unsigned int(32) sample_composition_time_offset; }
    ///       else { signed int(32) sample_composition_time_offset; } // 0x000800
    ///    }[ sample_count ]
    /// }
    /// </code>
    /// Version 1 so that a PTS before its DTS (a negative offset) is written as it is. This writes the
    /// header; follow it with one <see cref="WriteTrunSample"/> per sample, then <c>writer.EndBox(start)</c>
    /// with the returned start (no per-fragment array of entries is needed).
    /// </summary>
    public static int StartTrun(ref BoxWriter writer, int sampleCount, int dataOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleCount);
        const uint Flags = TrunDataOffsetPresent | TrunSampleDurationPresent | TrunSampleSizePresent
            | TrunSampleFlagsPresent | TrunSampleCompositionTimeOffsetsPresent;
        int box = writer.StartFullBox(BoxType.Trun, 1, Flags);
        writer.WriteUInt32((uint)sampleCount);
        writer.WriteInt32(dataOffset);
        return box;
    }

    /// <summary>One trun entry in the layout <see cref="StartTrun"/> announced.</summary>
    public static void WriteTrunSample(ref BoxWriter writer, uint duration, uint size, uint flags, int compositionTimeOffset)
    {
        writer.WriteUInt32(duration);
        writer.WriteUInt32(size);
        writer.WriteUInt32(flags);
        writer.WriteInt32(compositionTimeOffset);
    }
}
