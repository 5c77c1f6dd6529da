using System.Globalization;

namespace RtmpGateway.Media;

/// <summary>
/// One track's decoder configuration, made from one sequence header. Immutable; the record bytes are
/// a private copy, so the caller's tag memory may be reused once this is built.
/// </summary>
public sealed class CodecConfig
{
    public const int VideoTrackId = 1;
    public const int AudioTrackId = 2;
    public const int VideoTimescale = 90_000;

    private readonly byte[] _record;

    private CodecConfig(MediaKind kind, MediaCodec codec, byte[] record, string codecString)
    {
        Kind = kind;
        Codec = codec;
        _record = record;
        CodecString = codecString;
        TrackId = kind == MediaKind.Video ? VideoTrackId : AudioTrackId;
    }

    public MediaKind Kind { get; }

    public MediaCodec Codec { get; }

    /// <summary>1 = video, 2 = audio.</summary>
    public int TrackId { get; }

    /// <summary>Ticks per second of <see cref="AccessUnit.Dts"/>/<see cref="AccessUnit.Pts"/>: 90 000 for video, the sample rate for audio.</summary>
    public int Timescale { get; private init; }

    /// <summary>avcC / hvcC / av1C / AudioSpecificConfig bytes exactly as received.</summary>
    public ReadOnlyMemory<byte> Record => _record;

    /// <summary>Display width (after cropping); 0 if unknown.</summary>
    public int Width { get; private init; }

    public int Height { get; private init; }

    public double? FrameRate { get; private init; }

    /// <summary>profile_idc (H.264), general_profile_idc (HEVC), seq_profile (AV1), audio object type (AAC).</summary>
    public int Profile { get; private init; }

    /// <summary>level_idc (H.264), general_level_idc (HEVC), seq_level_idx_0 (AV1); 0 for AAC.</summary>
    public int Level { get; private init; }

    /// <summary>RFC 6381 codecs parameter, e.g. "avc1.64001f", "hvc1.1.6.L93.90", "av01.0.08M.08", "mp4a.40.2".</summary>
    public string CodecString { get; }

    public int SampleRate { get; private init; }

    public int Channels { get; private init; }

    public AvcDecoderConfigurationRecord? Avc { get; private init; }

    /// <summary>The first SPS of <see cref="Avc"/>, parsed.</summary>
    public H264Sps? Sps { get; private init; }

    public HevcDecoderConfigurationRecord? Hevc { get; private init; }

    public Av1CodecConfigurationRecord? Av1 { get; private init; }

    public AudioSpecificConfig? Aac { get; private init; }

    /// <summary>True when <paramref name="other"/> has the same codec and byte-identical record.</summary>
    public bool SameRecord(CodecConfig? other) =>
        other is not null && other.Codec == Codec && other.Kind == Kind && other._record.AsSpan().SequenceEqual(_record);

    /// <summary>From an AVCDecoderConfigurationRecord; it must carry at least one SPS.</summary>
    public static CodecConfig FromAvcRecord(ReadOnlySpan<byte> record)
    {
        AvcDecoderConfigurationRecord avc = AvcDecoderConfigurationRecord.Parse(record);
        H264Sps sps = avc.ParseFirstSps()
            ?? throw new MediaFormatException(MediaErrorReason.AvcConfigMalformed, "AVCDecoderConfigurationRecord: no sequence parameter set");
        // RFC 6381 3.3: avc1.PPCCLL = profile_idc, the constraint byte, level_idc, as hex from the record.
        string codecs = string.Create(
            CultureInfo.InvariantCulture, $"avc1.{avc.ProfileIndication:x2}{avc.ProfileCompatibility:x2}{avc.LevelIndication:x2}");
        return new CodecConfig(MediaKind.Video, MediaCodec.H264, record.ToArray(), codecs)
        {
            Timescale = VideoTimescale,
            Width = sps.Width,
            Height = sps.Height,
            FrameRate = sps.FrameRate,
            Profile = sps.ProfileIdc,
            Level = sps.LevelIdc,
            Avc = avc,
            Sps = sps,
        };
    }

    public static CodecConfig FromHevcRecord(ReadOnlySpan<byte> record)
    {
        HevcDecoderConfigurationRecord hevc = HevcDecoderConfigurationRecord.Parse(record);
        return new CodecConfig(MediaKind.Video, MediaCodec.Hevc, record.ToArray(), hevc.CodecString())
        {
            Timescale = VideoTimescale,
            Width = hevc.Width,
            Height = hevc.Height,
            FrameRate = hevc.FrameRate,
            Profile = hevc.GeneralProfileIdc,
            Level = hevc.GeneralLevelIdc,
            Hevc = hevc,
        };
    }

    public static CodecConfig FromAv1Record(ReadOnlySpan<byte> record)
    {
        Av1CodecConfigurationRecord av1 = Av1CodecConfigurationRecord.Parse(record);
        return new CodecConfig(MediaKind.Video, MediaCodec.Av1, record.ToArray(), av1.CodecString())
        {
            Timescale = VideoTimescale,
            Width = av1.Width,
            Height = av1.Height,
            FrameRate = av1.FrameRate,
            Profile = av1.SeqProfile,
            Level = av1.SeqLevelIdx0,
            Av1 = av1,
        };
    }

    /// <summary>
    /// From an AudioSpecificConfig. The timescale and <see cref="SampleRate"/> are the core sampling
    /// frequency the config states (for HE-AAC the SBR output rate is in <see cref="AudioSpecificConfig.ExtensionSamplingFrequency"/>).
    /// </summary>
    public static CodecConfig FromAudioSpecificConfig(ReadOnlySpan<byte> record)
    {
        AudioSpecificConfig asc = AudioSpecificConfig.Parse(record);
        // RFC 6381 3.3: "mp4a.40.<audioObjectType>" (ObjectTypeIndication 0x40 = Audio ISO/IEC 14496-3).
        string codecs = string.Create(CultureInfo.InvariantCulture, $"mp4a.40.{asc.AudioObjectType}");
        return new CodecConfig(MediaKind.Audio, MediaCodec.Aac, record.ToArray(), codecs)
        {
            Timescale = asc.SamplingFrequency,
            SampleRate = asc.SamplingFrequency,
            Channels = asc.Channels,
            Profile = asc.AudioObjectType,
            Aac = asc,
        };
    }

    public override string ToString() =>
        Kind == MediaKind.Video
            ? string.Create(CultureInfo.InvariantCulture, $"{CodecString} {Width}x{Height}")
            : string.Create(CultureInfo.InvariantCulture, $"{CodecString} {SampleRate} Hz {Channels} ch");
}
