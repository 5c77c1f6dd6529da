namespace RtmpGateway.Media;

/// <summary>Why the media layer refused a stream's input. Each value ends that one stream.</summary>
public enum MediaErrorReason
{
    /// <summary>Not set (only the parameterless constructors leave it so).</summary>
    None,
    /// <summary>An FLV audio or video tag body is shorter than its header.</summary>
    TruncatedTag,
    /// <summary>A codec, FourCC, sound format or Enhanced RTMP feature this gateway does not accept.</summary>
    UnsupportedCodec,
    /// <summary>An AVCPacketType / AACPacketType / Enhanced RTMP PacketType that the spec does not define.</summary>
    InvalidPacketType,
    /// <summary>AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1) malformed.</summary>
    AvcConfigMalformed,
    /// <summary>H.264 sequence parameter set (ISO/IEC 14496-10 7.3.2.1.1) malformed.</summary>
    SpsMalformed,
    /// <summary>AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) malformed.</summary>
    AscMalformed,
    /// <summary>HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1) malformed.</summary>
    HvcConfigMalformed,
    /// <summary>H.265 sequence parameter set (ITU-T H.265 7.3.2.2) malformed.</summary>
    HevcSpsMalformed,
    /// <summary>AV1CodecConfigurationRecord (AV1 in ISOBMFF 2.3.3) malformed.</summary>
    Av1ConfigMalformed,
    /// <summary>AV1 sequence header OBU (AV1 spec 5.5) malformed.</summary>
    Av1SequenceHeaderMalformed,
    /// <summary>Timestamps that unwrap to more than <see cref="FlvDemuxer.MaxTimelineMs"/> from zero: only a hostile stream gets there.</summary>
    TimestampOutOfRange,
}

/// <summary>
/// Malformed or unsupported media input. Thrown by the parsers of this layer; it ends ONE published
/// stream, never the RTMP connection's other work or other streams.
/// </summary>
public sealed class MediaFormatException : Exception
{
    public MediaFormatException(MediaErrorReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public MediaFormatException()
    {
    }

    public MediaFormatException(string message)
        : base(message)
    {
    }

    public MediaFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public MediaErrorReason Reason { get; }
}
