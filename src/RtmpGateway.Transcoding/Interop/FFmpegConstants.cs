namespace RtmpGateway.Transcoding.Interop;

/// <summary>
/// Macros and enum values from FFmpeg's public headers that this project relies on. Several are macros
/// (no exported symbol), so they are restated here; the layout test compiles a C program against the
/// installed headers and compares every one of them (<see cref="All"/>).
/// </summary>
internal static class FFmpegConstants
{
    /// <summary>libavutil/avutil.h: <c>#define AV_NOPTS_VALUE ((int64_t)UINT64_C(0x8000000000000000))</c>.</summary>
    internal const long AV_NOPTS_VALUE = long.MinValue;

    /// <summary>libavcodec/packet.h: <c>#define AV_PKT_FLAG_KEY 0x0001</c> "The packet contains a keyframe".</summary>
    internal const int AV_PKT_FLAG_KEY = 0x0001;

    /// <summary>libavcodec/avcodec.h: <c>#define AV_CODEC_FLAG_GLOBAL_HEADER (1 &lt;&lt; 22)</c> "Place global headers in extradata instead of every keyframe".</summary>
    internal const int AV_CODEC_FLAG_GLOBAL_HEADER = 1 << 22;

    /// <summary>libavcodec/defs.h: "the allocated bytes of the input bitstream must be larger than the actual read bits".</summary>
    internal const int AV_INPUT_BUFFER_PADDING_SIZE = 64;

    /// <summary>libavutil/pixfmt.h: <c>AV_PIX_FMT_NONE = -1</c>.</summary>
    internal const int AV_PIX_FMT_NONE = -1;

    /// <summary>libavutil/pixfmt.h: <c>AV_PIX_FMT_YUV420P</c> "planar YUV 4:2:0, 12bpp".</summary>
    internal const int AV_PIX_FMT_YUV420P = 0;

    /// <summary>libavutil/avutil.h: enum AVPictureType.</summary>
    internal const int AV_PICTURE_TYPE_NONE = 0;

    internal const int AV_PICTURE_TYPE_I = 1;

    /// <summary>libavcodec/codec_id.h: enum AVCodecID.</summary>
    internal const int AV_CODEC_ID_H264 = 27;

    /// <summary>libswscale/swscale.h scaler flags.</summary>
    internal const int SWS_BILINEAR = 2;

    internal const int SWS_BICUBIC = 4;

    /// <summary>libavutil/dict.h: "Return first entry in a dictionary whose first part corresponds to the search key".</summary>
    internal const int AV_DICT_IGNORE_SUFFIX = 2;

    // libavutil/log.h log levels.
    internal const int AV_LOG_QUIET = -8;
    internal const int AV_LOG_PANIC = 0;
    internal const int AV_LOG_FATAL = 8;
    internal const int AV_LOG_ERROR = 16;
    internal const int AV_LOG_WARNING = 24;
    internal const int AV_LOG_INFO = 32;
    internal const int AV_LOG_VERBOSE = 40;
    internal const int AV_LOG_DEBUG = 48;
    internal const int AV_LOG_TRACE = 56;

    // libavutil/error.h. AVERROR(e) is -(e); EAGAIN and ENOMEM are Linux's errno values.
    internal const int AVERROR_EAGAIN = -11;
    internal const int AVERROR_ENOMEM = -12;
    internal const int AVERROR_EINVAL = -22;

    /// <summary><c>#define AVERROR_EOF FFERRTAG( 'E','O','F',' ')</c> "End of file".</summary>
    internal static readonly int AVERROR_EOF = FfErrTag('E', 'O', 'F', ' ');

    /// <summary><c>#define AVERROR_INVALIDDATA FFERRTAG( 'I','N','D','A')</c> "Invalid data found when processing input".</summary>
    internal static readonly int AVERROR_INVALIDDATA = FfErrTag('I', 'N', 'D', 'A');

    internal static readonly int AVERROR_DECODER_NOT_FOUND = FfErrTag((char)0xF8, 'D', 'E', 'C');

    internal static readonly int AVERROR_ENCODER_NOT_FOUND = FfErrTag((char)0xF8, 'E', 'N', 'C');

    internal static readonly int AVERROR_OPTION_NOT_FOUND = FfErrTag((char)0xF8, 'O', 'P', 'T');

    /// <summary>Every constant by its C name, for the layout test.</summary>
    internal static IReadOnlyDictionary<string, long> All { get; } = new Dictionary<string, long>
    {
        ["AV_NOPTS_VALUE"] = AV_NOPTS_VALUE,
        ["AV_PKT_FLAG_KEY"] = AV_PKT_FLAG_KEY,
        ["AV_CODEC_FLAG_GLOBAL_HEADER"] = AV_CODEC_FLAG_GLOBAL_HEADER,
        ["AV_INPUT_BUFFER_PADDING_SIZE"] = AV_INPUT_BUFFER_PADDING_SIZE,
        ["AV_PIX_FMT_NONE"] = AV_PIX_FMT_NONE,
        ["AV_PIX_FMT_YUV420P"] = AV_PIX_FMT_YUV420P,
        ["AV_PICTURE_TYPE_NONE"] = AV_PICTURE_TYPE_NONE,
        ["AV_PICTURE_TYPE_I"] = AV_PICTURE_TYPE_I,
        ["AV_CODEC_ID_H264"] = AV_CODEC_ID_H264,
        ["SWS_BILINEAR"] = SWS_BILINEAR,
        ["SWS_BICUBIC"] = SWS_BICUBIC,
        ["AV_DICT_IGNORE_SUFFIX"] = AV_DICT_IGNORE_SUFFIX,
        ["AV_LOG_QUIET"] = AV_LOG_QUIET,
        ["AV_LOG_PANIC"] = AV_LOG_PANIC,
        ["AV_LOG_FATAL"] = AV_LOG_FATAL,
        ["AV_LOG_ERROR"] = AV_LOG_ERROR,
        ["AV_LOG_WARNING"] = AV_LOG_WARNING,
        ["AV_LOG_INFO"] = AV_LOG_INFO,
        ["AV_LOG_VERBOSE"] = AV_LOG_VERBOSE,
        ["AV_LOG_DEBUG"] = AV_LOG_DEBUG,
        ["AV_LOG_TRACE"] = AV_LOG_TRACE,
        ["AVERROR(EAGAIN)"] = AVERROR_EAGAIN,
        ["AVERROR(ENOMEM)"] = AVERROR_ENOMEM,
        ["AVERROR(EINVAL)"] = AVERROR_EINVAL,
        ["AVERROR_EOF"] = AVERROR_EOF,
        ["AVERROR_INVALIDDATA"] = AVERROR_INVALIDDATA,
        ["AVERROR_DECODER_NOT_FOUND"] = AVERROR_DECODER_NOT_FOUND,
        ["AVERROR_ENCODER_NOT_FOUND"] = AVERROR_ENCODER_NOT_FOUND,
        ["AVERROR_OPTION_NOT_FOUND"] = AVERROR_OPTION_NOT_FOUND,
    };

    /// <summary>
    /// libavutil/error.h and common.h: <c>#define FFERRTAG(a, b, c, d) (-(int)MKTAG(a, b, c, d))</c>,
    /// <c>#define MKTAG(a,b,c,d) ((a) | ((b) &lt;&lt; 8) | ((c) &lt;&lt; 16) | ((unsigned)(d) &lt;&lt; 24))</c>.
    /// </summary>
    private static int FfErrTag(char a, char b, char c, char d) => -(int)(a | ((uint)b << 8) | ((uint)c << 16) | ((uint)d << 24));
}
