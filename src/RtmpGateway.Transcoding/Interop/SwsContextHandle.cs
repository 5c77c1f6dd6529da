using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace RtmpGateway.Transcoding.Interop;

/// <summary>Owns one SwsContext (sws_getContext / sws_freeContext) for one source and target geometry.</summary>
internal sealed unsafe class SwsContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    internal SwsContextHandle()
        : base(ownsHandle: true)
    {
    }

    internal int SourceWidth { get; private init; }

    internal int SourceHeight { get; private init; }

    internal int SourceFormat { get; private init; }

    internal int TargetWidth { get; private init; }

    internal int TargetHeight { get; private init; }

    internal int TargetFormat { get; private init; }

    internal static SwsContextHandle Create(int srcW, int srcH, int srcFormat, int dstW, int dstH, int dstFormat, int flags)
    {
        var context = new SwsContextHandle
        {
            SourceWidth = srcW,
            SourceHeight = srcH,
            SourceFormat = srcFormat,
            TargetWidth = dstW,
            TargetHeight = dstH,
            TargetFormat = dstFormat,
        };
        context.SetHandle(NativeMethods.sws_getContext(srcW, srcH, srcFormat, dstW, dstH, dstFormat, flags, 0, 0, null));
        if (context.IsInvalid)
        {
            context.Dispose();
            throw new FFmpegException(
                FFmpegError.InvalidArgument,
                FFmpegConstants.AVERROR_EINVAL,
                string.Create(CultureInfo.InvariantCulture, $"sws_getContext refused {srcW}x{srcH} format {srcFormat} -> {dstW}x{dstH} format {dstFormat}"));
        }

        return context;
    }

    /// <summary>
    /// sws_scale_frame into a blank <paramref name="target"/>: "If the data buffers are not allocated,
    /// they will be allocated", with this context's target size and format. Then copies the source's
    /// properties (pts, pict_type, ...) with av_frame_copy_props.
    /// </summary>
    internal void Scale(AVFrameHandle source, AVFrameHandle target)
    {
        nint ctx = handle;
        ObjectDisposedException.ThrowIf(IsClosed, this);
        FFmpegResult.Check(NativeMethods.sws_scale_frame(ctx, target.Pointer, source.Pointer), "sws_scale_frame");
        FFmpegResult.Check(NativeMethods.av_frame_copy_props(target.Pointer, source.Pointer), "av_frame_copy_props");
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.sws_freeContext(handle);
        return true;
    }
}
