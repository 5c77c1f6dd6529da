using RtmpGateway.Media;
using RtmpGateway.Transcoding.Interop;

namespace RtmpGateway.Transcoding;

/// <summary>
/// libx264 through libavcodec, producing the Media contract: an avcC (<see cref="Extradata"/>) and
/// AVCC access units. Timestamps are 90 kHz ticks. Not thread-safe. The send/receive contract: after
/// each <see cref="Encode"/>, call <see cref="TryReceive"/> until it returns false; false means "needs
/// more input" (AVERROR(EAGAIN)), or, after <see cref="Flush"/>, "fully drained" (<see cref="IsDrained"/>).
/// </summary>
public sealed class VideoEncoder : IDisposable
{
    private readonly AVCodecContextHandle _context;
    private readonly AVFrameHandle _frame;
    private readonly AVPacketHandle _packet;
    private bool _flushing;

    public VideoEncoder(VideoEncoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        FFmpegRuntime.EnsureInitialized();
        Options = options;

        _context = AVCodecContextHandle.ForEncoder("libx264");
        try
        {
            // No AVOption for framerate in 5.1; x264 takes its nominal fps (rate control, level) from it.
            _context.SetFramerate(options.FrameRateNumerator, options.FrameRateDenominator);
            using (var dictionary = new AVDictionary())
            {
                foreach (KeyValuePair<string, string> option in options.ToCodecOptions())
                {
                    dictionary.Set(option.Key, option.Value);
                }

                _context.Open(dictionary);
            }

            // +global_header: libx264 puts SPS and PPS, Annex B, in extradata (its SEI goes into the first packet).
            Extradata = AnnexB.ToAvcDecoderConfigurationRecord(_context.Extradata);
            Config = CodecConfig.FromAvcRecord(Extradata.Span);
            _frame = AVFrameHandle.Allocate();
            _packet = AVPacketHandle.Allocate();
        }
        catch
        {
            _frame?.Dispose();
            _context.Dispose();
            throw;
        }
    }

    public VideoEncoderOptions Options { get; }

    /// <summary>The AVCDecoderConfigurationRecord (avcC) built from libx264's global header.</summary>
    public ReadOnlyMemory<byte> Extradata { get; }

    /// <summary><see cref="Extradata"/> parsed by the Media layer: size, profile, level, codecs string.</summary>
    public CodecConfig Config { get; }

    /// <summary>True once the encoder returned AVERROR_EOF after <see cref="Flush"/>.</summary>
    public bool IsDrained { get; private set; }

    /// <summary>
    /// Encodes <paramref name="frame"/> (YUV 4:2:0 at the configured size) at <paramref name="pts"/>.
    /// The frame's own picture type is never passed on (decoded and scaled frames keep the source's):
    /// it is NONE, or I when <paramref name="forceIdr"/>, which with forced-idr=1 makes an IDR. The
    /// caller keeps ownership of <paramref name="frame"/>; the encoder takes its own reference.
    /// </summary>
    public void Encode(DecodedFrame frame, long pts, bool forceIdr)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ThrowIfFlushing();
        if (frame.Width != Options.Width || frame.Height != Options.Height || !frame.IsYuv420P)
        {
            throw new ArgumentException(
                $"the encoder takes YUV 4:2:0 {Options.Width}x{Options.Height} frames, got {frame.Width}x{frame.Height}{(frame.IsYuv420P ? "" : " (not YUV 4:2:0)")}",
                nameof(frame));
        }

        _frame.RefFrom(frame.Handle);
        _frame.Pts = pts;
        _frame.PictType = forceIdr ? FFmpegConstants.AV_PICTURE_TYPE_I : FFmpegConstants.AV_PICTURE_TYPE_NONE;
        FFmpegError result = _context.SendFrame(_frame, out int code);
        _frame.Unref();
        switch (result)
        {
            case FFmpegError.Ok:
                return;
            case FFmpegError.Again:
                throw new InvalidOperationException("avcodec_send_frame: AVERROR(EAGAIN), packets must be received before the next frame is sent");
            default:
                throw FFmpegResult.Exception("avcodec_send_frame", code);
        }
    }

    /// <summary>The next packet, copied out and converted to AVCC; false when more input is needed, or drained.</summary>
    public bool TryReceive([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EncodedPacket? packet)
    {
        ObjectDisposedException.ThrowIf(_context.IsClosed, this);
        packet = null;
        if (IsDrained)
        {
            return false;
        }

        FFmpegError result = _context.ReceivePacket(_packet, out int code);
        switch (result)
        {
            case FFmpegError.Ok:
                try
                {
                    // libx264's packets are Annex B (3-byte start codes, an SEI in the first); the bytes
                    // are copied into the AVCC payload before the packet's buffer is released.
                    byte[] payload = AnnexB.ToLengthPrefixed(_packet.Data);
                    packet = new EncodedPacket(_packet.Pts, _packet.Dts, (_packet.Flags & FFmpegConstants.AV_PKT_FLAG_KEY) != 0, payload);
                }
                finally
                {
                    _packet.Unref();
                }

                return true;
            case FFmpegError.Again:
                return false;
            case FFmpegError.EndOfFile:
                IsDrained = true;
                return false;
            default:
                throw FFmpegResult.Exception("avcodec_receive_packet", code);
        }
    }

    /// <summary>Signals the end of input (a NULL frame): the delayed packets come out of <see cref="TryReceive"/>.</summary>
    public void Flush()
    {
        ThrowIfFlushing();
        FFmpegError result = _context.SendFrame(null, out int code);
        if (result is not (FFmpegError.Ok or FFmpegError.EndOfFile))
        {
            throw FFmpegResult.Exception("avcodec_send_frame(NULL)", code);
        }

        _flushing = true;
    }

    public void Dispose()
    {
        _packet?.Dispose();
        _frame?.Dispose();
        _context.Dispose();
    }

    private void ThrowIfFlushing()
    {
        ObjectDisposedException.ThrowIf(_context.IsClosed, this);
        if (_flushing)
        {
            throw new InvalidOperationException("the encoder was flushed; it takes no more frames");
        }
    }
}
