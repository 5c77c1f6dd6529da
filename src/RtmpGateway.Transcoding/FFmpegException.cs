namespace RtmpGateway.Transcoding;

/// <summary>An FFmpeg return code as a result: the send/receive contract's two signals plus failures.</summary>
public enum FFmpegError
{
    /// <summary>0 or a positive value: success.</summary>
    Ok,

    /// <summary>AVERROR(EAGAIN): output must be read before more input is accepted, or more input is needed.</summary>
    Again,

    /// <summary>AVERROR_EOF: the codec is fully drained.</summary>
    EndOfFile,

    /// <summary>AVERROR_INVALIDDATA: the bitstream is damaged or not what the codec expects.</summary>
    InvalidData,

    /// <summary>AVERROR(ENOMEM).</summary>
    OutOfMemory,

    /// <summary>AVERROR(EINVAL): a bad argument, or a call out of order.</summary>
    InvalidArgument,

    /// <summary>AVERROR_DECODER_NOT_FOUND / AVERROR_ENCODER_NOT_FOUND, or a lookup that returned NULL.</summary>
    CodecNotFound,

    /// <summary>AVERROR_OPTION_NOT_FOUND, or an AVDictionary key no component consumed.</summary>
    OptionNotFound,

    /// <summary>The FFmpeg libraries are missing or of an unsupported version (raw code 0).</summary>
    LibrariesUnavailable,

    /// <summary>Any other negative code; see <see cref="FFmpegException.Code"/> and the message.</summary>
    Other,
}

/// <summary>An FFmpeg call failed: the result, the raw AVERROR code and av_strerror's text.</summary>
public sealed class FFmpegException : Exception
{
    public FFmpegException(FFmpegError error, int code, string message)
        : base(message)
    {
        Error = error;
        Code = code;
    }

    public FFmpegException()
    {
    }

    public FFmpegException(string message)
        : base(message)
    {
    }

    public FFmpegException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FFmpegError Error { get; }

    /// <summary>The negative AVERROR value FFmpeg returned (0 when no call failed).</summary>
    public int Code { get; }
}
