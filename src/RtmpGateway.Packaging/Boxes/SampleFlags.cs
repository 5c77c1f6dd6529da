namespace RtmpGateway.Packaging.Boxes;

/// <summary>
/// ISO/IEC 14496-12 §8.8.3.1 sample flags, as carried in trex, tfhd and trun:
/// <code>
/// bit(4) reserved = 0;
/// unsigned int(2) is_leading;
/// unsigned int(2) sample_depends_on;       // 1: depends on others (not an I picture); 2: does not depend on others (I picture)
/// unsigned int(2) sample_is_depended_on;
/// unsigned int(2) sample_has_redundancy;
/// bit(3) sample_padding_value;
/// bit(1) sample_is_non_sync_sample;
/// unsigned int(16) sample_degradation_priority;
/// </code>
/// </summary>
public static class SampleFlags
{
    private const int DependsOnShift = 24;
    private const uint NonSyncBit = 1u << 16;

    /// <summary>A sync sample: sample_depends_on 2, sample_is_non_sync_sample 0 (0x02000000).</summary>
    public const uint Sync = 2u << DependsOnShift;

    /// <summary>A sample that needs others to decode: sample_depends_on 1, sample_is_non_sync_sample 1 (0x01010000).</summary>
    public const uint NonSync = (1u << DependsOnShift) | NonSyncBit;
}
