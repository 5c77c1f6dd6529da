using RtmpGateway.Transcoding.Interop;

namespace RtmpGateway.Transcoding;

/// <summary>
/// One picture produced by <see cref="VideoDecoder"/> or <see cref="FrameScaler"/>, owned by whoever
/// holds this object: dispose it once done (the pixel buffers are reference-counted, so an encoder that
/// was given the frame keeps its own reference).
/// </summary>
public sealed class DecodedFrame : IDisposable
{
    internal DecodedFrame(AVFrameHandle frame)
    {
        Handle = frame;
    }

    public int Width => Handle.Width;

    public int Height => Handle.Height;

    /// <summary>True for planar YUV 4:2:0, 8 bits (AV_PIX_FMT_YUV420P), what the encoders take.</summary>
    public bool IsYuv420P => Handle.Format == FFmpegConstants.AV_PIX_FMT_YUV420P;

    /// <summary>
    /// Presentation time in the decoder's packet time base (90 kHz ticks): the decoder's
    /// best_effort_timestamp, else the frame's pts; null when neither is known.
    /// </summary>
    public long? Pts
    {
        get
        {
            long best = Handle.BestEffortTimestamp;
            if (best != FFmpegConstants.AV_NOPTS_VALUE)
            {
                return best;
            }

            long pts = Handle.Pts;
            return pts == FFmpegConstants.AV_NOPTS_VALUE ? null : pts;
        }
    }

    /// <summary>The owned AVFrame; internal so that no AV* pointer leaves the assembly.</summary>
    internal AVFrameHandle Handle { get; }

    public void Dispose() => Handle.Dispose();

    public override string ToString() => Handle.IsClosed ? "DecodedFrame (disposed)" : $"DecodedFrame {Width}x{Height} pts {Pts}";
}
