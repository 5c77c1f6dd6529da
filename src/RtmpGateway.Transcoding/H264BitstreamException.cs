namespace RtmpGateway.Transcoding;

/// <summary>Why <see cref="AnnexB"/> refused its input.</summary>
public enum H264BitstreamError
{
    /// <summary>Not set (only the parameterless constructors leave it so).</summary>
    None,
    /// <summary>No 0x000001 start code at all.</summary>
    NoStartCode,
    /// <summary>Non-zero bytes before the first start code (only leading_zero_8bits may be there).</summary>
    DataBeforeStartCode,
    /// <summary>Two start codes with nothing but zero bytes between them.</summary>
    EmptyNalUnit,
    /// <summary>A NAL unit header with forbidden_zero_bit set.</summary>
    ForbiddenZeroBit,
    /// <summary>No SPS or no PPS to build an avcC from.</summary>
    MissingParameterSet,
    /// <summary>More parameter sets than the avcC count fields hold.</summary>
    TooManyParameterSets,
    /// <summary>A parameter set too long (or empty) for avcC's 16-bit length.</summary>
    MalformedParameterSet,
    /// <summary>The SPS does not parse (ISO/IEC 14496-10 7.3.2.1.1).</summary>
    MalformedSps,
}

/// <summary>Malformed H.264 byte stream or parameter sets given to <see cref="AnnexB"/>.</summary>
public sealed class H264BitstreamException : Exception
{
    public H264BitstreamException(H264BitstreamError reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public H264BitstreamException(H264BitstreamError reason, string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public H264BitstreamException()
    {
    }

    public H264BitstreamException(string message)
        : base(message)
    {
    }

    public H264BitstreamException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public H264BitstreamError Reason { get; }
}
