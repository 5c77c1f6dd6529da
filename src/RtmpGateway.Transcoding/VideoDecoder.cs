using RtmpGateway.Media;
using RtmpGateway.Transcoding.Interop;

namespace RtmpGateway.Transcoding;

/// <summary>
/// libavcodec's H.264 decoder fed with AVCC access units (the Media contract), one stream per
/// instance; not thread-safe. The send/receive contract: after each <see cref="Send"/>, call
/// <see cref="TryReceive"/> until it returns false; false means "needs more input" (AVERROR(EAGAIN)),
/// or, after <see cref="Flush"/>, "fully drained" (AVERROR_EOF, <see cref="IsDrained"/> true).
/// </summary>
public sealed class VideoDecoder : IDisposable
{
    private readonly AVCodecContextHandle _context;
    private readonly AVPacketHandle _packet;
    private AVFrameHandle? _spare;
    private bool _flushing;

    /// <param name="avcDecoderConfigurationRecord">The stream's avcC (an FLV AVC sequence header's body).</param>
    /// <param name="threads">Decoder threads; set explicitly, since the library default is 1.</param>
    public VideoDecoder(ReadOnlySpan<byte> avcDecoderConfigurationRecord, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        // Fails early, with the Media layer's reason, on a record the decoder would reject later.
        Config = CodecConfig.FromAvcRecord(avcDecoderConfigurationRecord);
        FFmpegRuntime.EnsureInitialized();

        _context = AVCodecContextHandle.ForDecoder(FFmpegConstants.AV_CODEC_ID_H264);
        try
        {
            // The h264 decoder reads the NAL length size and the parameter sets from the avcC.
            _context.SetExtradata(avcDecoderConfigurationRecord);
            using var options = new AVDictionary();
            options.Set("threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
            options.Set("pkt_timebase", "1/90000");
            _context.Open(options);
            _packet = AVPacketHandle.Allocate();
        }
        catch
        {
            _context.Dispose();
            throw;
        }
    }

    /// <summary>The configuration the decoder was opened with.</summary>
    public CodecConfig Config { get; }

    /// <summary>True once the decoder returned AVERROR_EOF after <see cref="Flush"/>.</summary>
    public bool IsDrained { get; private set; }

    /// <summary>
    /// Decodes one access unit: length-prefixed NAL units, timestamps in 90 kHz ticks. The bytes are
    /// copied; the span may be reused at once.
    /// </summary>
    /// <exception cref="InvalidOperationException">Frames are pending (call <see cref="TryReceive"/> first), or the decoder was flushed.</exception>
    /// <exception cref="FFmpegException">The decoder rejected the data (e.g. <see cref="FFmpegError.InvalidData"/>).</exception>
    public void Send(ReadOnlySpan<byte> avccPayload, long pts, long dts, bool key)
    {
        ThrowIfFlushing();
        _packet.SetPayload(avccPayload);
        _packet.Pts = pts;
        _packet.Dts = dts;
        _packet.Flags = key ? FFmpegConstants.AV_PKT_FLAG_KEY : 0;
        FFmpegError result = _context.SendPacket(_packet, out int code);
        _packet.Unref();
        switch (result)
        {
            case FFmpegError.Ok:
                return;
            case FFmpegError.Again:
                throw new InvalidOperationException("avcodec_send_packet: AVERROR(EAGAIN), frames must be received before the next packet is sent");
            default:
                throw FFmpegResult.Exception("avcodec_send_packet", code);
        }
    }

    /// <summary>
    /// The next decoded frame, owned by the caller; false when the decoder needs more input, or is
    /// drained (<see cref="IsDrained"/>).
    /// </summary>
    public bool TryReceive([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DecodedFrame? frame)
    {
        ObjectDisposedException.ThrowIf(_context.IsClosed, this);
        frame = null;
        if (IsDrained)
        {
            return false;
        }

        _spare ??= AVFrameHandle.Allocate();
        FFmpegError result = _context.ReceiveFrame(_spare, out int code);
        switch (result)
        {
            case FFmpegError.Ok:
                frame = new DecodedFrame(_spare);
                _spare = null;
                return true;
            case FFmpegError.Again:
                return false;
            case FFmpegError.EndOfFile:
                IsDrained = true;
                return false;
            default:
                throw FFmpegResult.Exception("avcodec_receive_frame", code);
        }
    }

    /// <summary>Signals the end of the stream (a NULL packet): the delayed frames come out of <see cref="TryReceive"/>.</summary>
    public void Flush()
    {
        ThrowIfFlushing();
        FFmpegError result = _context.SendPacket(null, out int code);
        if (result is not (FFmpegError.Ok or FFmpegError.EndOfFile))
        {
            throw FFmpegResult.Exception("avcodec_send_packet(NULL)", code);
        }

        _flushing = true;
    }

    /// <summary>Drops everything buffered (avcodec_flush_buffers), e.g. at a discontinuity; the decoder takes input again.</summary>
    public void Reset()
    {
        _context.FlushBuffers();
        _flushing = false;
        IsDrained = false;
    }

    public void Dispose()
    {
        _spare?.Dispose();
        _packet?.Dispose();
        _context.Dispose();
    }

    private void ThrowIfFlushing()
    {
        ObjectDisposedException.ThrowIf(_context.IsClosed, this);
        if (_flushing)
        {
            throw new InvalidOperationException("the decoder was flushed; call Reset before sending more packets");
        }
    }
}
