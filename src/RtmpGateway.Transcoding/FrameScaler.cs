using RtmpGateway.Transcoding.Interop;

namespace RtmpGateway.Transcoding;

/// <summary>libswscale's filter for resizing (SWS_BILINEAR / SWS_BICUBIC).</summary>
public enum ScalingAlgorithm
{
    /// <summary>Cheapest; fine for large downscales.</summary>
    Bilinear,

    /// <summary>Sharper; the CLI's default for scale.</summary>
    Bicubic,
}

/// <summary>
/// Scales decoded frames to one rung's size, as YUV 4:2:0 (what x264 takes). The libswscale context is
/// made for the first source geometry and remade when the source's size or format changes (a new SPS
/// mid-stream). Each output frame is a new owned <see cref="DecodedFrame"/> carrying the source's pts.
/// Not thread-safe.
/// </summary>
public sealed class FrameScaler : IDisposable
{
    private readonly int _flags;
    private SwsContextHandle? _context;
    private bool _disposed;

    public FrameScaler(int width, int height, ScalingAlgorithm algorithm)
    {
        // 4:2:0 halves the chroma planes in both directions, and x264 refuses odd sizes for it.
        if (width < 2 || height < 2 || width % 2 != 0 || height % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height}: a YUV 4:2:0 target needs even width and height of at least 2");
        }

        FFmpegRuntime.EnsureInitialized();
        Width = width;
        Height = height;
        _flags = algorithm == ScalingAlgorithm.Bilinear ? FFmpegConstants.SWS_BILINEAR : FFmpegConstants.SWS_BICUBIC;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>The source frame scaled to <see cref="Width"/> x <see cref="Height"/>; the source is left as it was.</summary>
    public DecodedFrame Scale(DecodedFrame source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ObjectDisposedException.ThrowIf(_disposed, this);
        AVFrameHandle input = source.Handle;
        int w = input.Width;
        int h = input.Height;
        int format = input.Format;
        if (_context is null || _context.SourceWidth != w || _context.SourceHeight != h || _context.SourceFormat != format)
        {
            _context?.Dispose();
            _context = null;
            _context = SwsContextHandle.Create(w, h, format, Width, Height, FFmpegConstants.AV_PIX_FMT_YUV420P, _flags);
        }

        AVFrameHandle output = AVFrameHandle.Allocate();
        try
        {
            _context.Scale(input, output);
            return new DecodedFrame(output);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _context?.Dispose();
        _disposed = true;
    }
}
