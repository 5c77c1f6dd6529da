using Microsoft.Win32.SafeHandles;

namespace RtmpGateway.Transcoding.Interop;

/// <summary>
/// Owns one AVFrame (av_frame_alloc / av_frame_free). The frame's buffers are reference-counted by
/// FFmpeg; freeing the frame drops this frame's references.
/// </summary>
internal sealed unsafe class AVFrameHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    internal AVFrameHandle()
        : base(ownsHandle: true)
    {
    }

    /// <summary>The AVFrame*; throws once disposed.</summary>
    internal nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return handle;
        }
    }

    internal int Width => StructAccess.ReadInt32(Pointer, FFmpegLayout.Current.FrameWidth);

    internal int Height => StructAccess.ReadInt32(Pointer, FFmpegLayout.Current.FrameHeight);

    /// <summary>enum AVPixelFormat for video frames.</summary>
    internal int Format => StructAccess.ReadInt32(Pointer, FFmpegLayout.Current.FrameFormat);

    /// <summary>enum AVPictureType.</summary>
    internal int PictType
    {
        get => StructAccess.ReadInt32(Pointer, FFmpegLayout.Current.FramePictType);
        set => StructAccess.WriteInt32(Pointer, FFmpegLayout.Current.FramePictType, value);
    }

    internal long Pts
    {
        get => StructAccess.ReadInt64(Pointer, FFmpegLayout.Current.FramePts);
        set => StructAccess.WriteInt64(Pointer, FFmpegLayout.Current.FramePts, value);
    }

    internal long BestEffortTimestamp => StructAccess.ReadInt64(Pointer, FFmpegLayout.Current.FrameBestEffortTimestamp);

    internal static AVFrameHandle Allocate()
    {
        var frame = new AVFrameHandle();
        frame.SetHandle(NativeMethods.av_frame_alloc());
        if (frame.IsInvalid)
        {
            frame.Dispose();
            throw new FFmpegException(FFmpegError.OutOfMemory, FFmpegConstants.AVERROR_ENOMEM, "av_frame_alloc returned NULL");
        }

        return frame;
    }

    /// <summary>Drops this frame's buffer references and resets its fields (av_frame_unref).</summary>
    internal void Unref() => NativeMethods.av_frame_unref(Pointer);

    /// <summary>Makes this (blank) frame a new reference to <paramref name="source"/>'s buffers and properties.</summary>
    internal void RefFrom(AVFrameHandle source) => FFmpegResult.Check(NativeMethods.av_frame_ref(Pointer, source.Pointer), "av_frame_ref");

    protected override bool ReleaseHandle()
    {
        nint frame = handle;
        NativeMethods.av_frame_free(&frame);
        return true;
    }
}
