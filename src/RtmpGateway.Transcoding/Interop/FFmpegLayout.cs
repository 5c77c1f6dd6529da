namespace RtmpGateway.Transcoding.Interop;

/// <summary>Where one struct field sits: byte offset from the struct's start and its size in bytes.</summary>
internal readonly record struct LayoutField(int Offset, int Size);

/// <summary>
/// The few struct fields the interop reads or writes directly, per FFmpeg major. Everything else goes
/// through AVOptions (an AVDictionary given to avcodec_open2) or whole-frame APIs, so supporting
/// another major means filling one more table. Offsets are those of the public headers; the layout
/// test compares <see cref="FFmpeg51"/> with offsetof/sizeof from the installed headers, and
/// <see cref="FFmpegLibraries"/> runs sentinel checks on a fresh AVFrame, AVPacket and
/// AVCodecContext before any table is used.
/// </summary>
internal sealed record FFmpegLayout
{
    private const int Int = 4;
    private const int Int64 = 8;
    private const int Pointer = 8;
    private const int Rational = 8;

    /// <summary>FFmpeg 5.x: libavutil 57, libavcodec 59 (measured against the 5.1 headers).</summary>
    internal static readonly FFmpegLayout FFmpeg51 = new()
    {
        Name = "5.1",
        AvUtilMajor = 57,
        AvCodecMajor = 59,
        VerifiedAgainstHeaders = true,
        CodecContextExtradata = new(88, Pointer),
        CodecContextExtradataSize = new(96, Int),
        CodecContextFramerate = new(712, Rational),
        FrameWidth = new(104, Int),
        FrameHeight = new(108, Int),
        FrameFormat = new(116, Int),
        FramePictType = new(124, Int),
        FramePts = new(136, Int64),
        FrameBestEffortTimestamp = new(344, Int64),
        PacketPts = new(8, Int64),
        PacketDts = new(16, Int64),
        PacketData = new(24, Pointer),
        PacketSize = new(32, Int),
        PacketFlags = new(40, Int),
    };

    /// <summary>
    /// FFmpeg 6.x: libavutil 58, libavcodec 60. From FFMPEG.md's table; not compared with headers on
    /// this machine, so it is used only when the sentinel checks pass.
    /// </summary>
    internal static readonly FFmpegLayout FFmpeg6 = FFmpeg51 with
    {
        Name = "6.x",
        AvUtilMajor = 58,
        AvCodecMajor = 60,
        VerifiedAgainstHeaders = false,
        CodecContextFramerate = new(704, Rational),
    };

    /// <summary>
    /// FFmpeg 7.x: libavutil 59, libavcodec 61 (AVFrame.key_frame is gone, so pict_type moves up).
    /// From FFMPEG.md's table; used only when the sentinel checks pass.
    /// </summary>
    internal static readonly FFmpegLayout FFmpeg7 = FFmpeg51 with
    {
        Name = "7.x",
        AvUtilMajor = 59,
        AvCodecMajor = 61,
        VerifiedAgainstHeaders = false,
        CodecContextExtradata = new(72, Pointer),
        CodecContextExtradataSize = new(80, Int),
        CodecContextFramerate = new(100, Rational),
        FramePictType = new(120, Int),
        FrameBestEffortTimestamp = new(320, Int64),
    };

    private static FFmpegLayout? s_current;

    private FFmpegLayout()
    {
    }

    /// <summary>The table of the loaded libraries; set once by <see cref="FFmpegLibraries"/>.</summary>
    internal static FFmpegLayout Current =>
        s_current ?? throw new InvalidOperationException("FFmpeg is not initialized: call FFmpegRuntime.TryInitialize first.");

    internal required string Name { get; init; }

    internal required int AvUtilMajor { get; init; }

    internal required int AvCodecMajor { get; init; }

    /// <summary>True when the layout test compared this table with the headers of this very major.</summary>
    internal required bool VerifiedAgainstHeaders { get; init; }

    internal required LayoutField CodecContextExtradata { get; init; }

    internal required LayoutField CodecContextExtradataSize { get; init; }

    internal required LayoutField CodecContextFramerate { get; init; }

    internal required LayoutField FrameWidth { get; init; }

    internal required LayoutField FrameHeight { get; init; }

    internal required LayoutField FrameFormat { get; init; }

    internal required LayoutField FramePictType { get; init; }

    internal required LayoutField FramePts { get; init; }

    internal required LayoutField FrameBestEffortTimestamp { get; init; }

    internal required LayoutField PacketPts { get; init; }

    internal required LayoutField PacketDts { get; init; }

    internal required LayoutField PacketData { get; init; }

    internal required LayoutField PacketSize { get; init; }

    internal required LayoutField PacketFlags { get; init; }

    /// <summary>Every field by its C name ("AVFrame.pts"), for the layout test.</summary>
    internal IReadOnlyDictionary<string, LayoutField> Fields => new Dictionary<string, LayoutField>
    {
        ["AVCodecContext.extradata"] = CodecContextExtradata,
        ["AVCodecContext.extradata_size"] = CodecContextExtradataSize,
        ["AVCodecContext.framerate"] = CodecContextFramerate,
        ["AVFrame.width"] = FrameWidth,
        ["AVFrame.height"] = FrameHeight,
        ["AVFrame.format"] = FrameFormat,
        ["AVFrame.pict_type"] = FramePictType,
        ["AVFrame.pts"] = FramePts,
        ["AVFrame.best_effort_timestamp"] = FrameBestEffortTimestamp,
        ["AVPacket.pts"] = PacketPts,
        ["AVPacket.dts"] = PacketDts,
        ["AVPacket.data"] = PacketData,
        ["AVPacket.size"] = PacketSize,
        ["AVPacket.flags"] = PacketFlags,
    };

    /// <summary>Newest first: the order in which soname sets are probed.</summary>
    internal static IReadOnlyList<FFmpegLayout> Known { get; } = [FFmpeg7, FFmpeg6, FFmpeg51];

    internal static void SetCurrent(FFmpegLayout layout) => s_current = layout;

    public override string ToString() => Name;
}
