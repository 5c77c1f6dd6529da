using System.Text;
using Microsoft.Win32.SafeHandles;

namespace RtmpGateway.Transcoding.Interop;

/// <summary>
/// Owns one AVCodecContext (avcodec_alloc_context3 / avcodec_free_context). The context owns its
/// extradata: avcodec_free_context av_free()s it, so extradata given to it comes from av_mallocz.
/// </summary>
internal sealed unsafe class AVCodecContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private nint _codec;

    internal AVCodecContextHandle()
        : base(ownsHandle: true)
    {
    }

    internal nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return handle;
        }
    }

    /// <summary>The codec's extradata; for libx264 with +global_header, Annex B SPS and PPS. Valid until disposal.</summary>
    internal ReadOnlySpan<byte> Extradata
    {
        get
        {
            nint data = StructAccess.ReadPointer(Pointer, FFmpegLayout.Current.CodecContextExtradata);
            int size = StructAccess.ReadInt32(Pointer, FFmpegLayout.Current.CodecContextExtradataSize);
            return data == 0 || size <= 0 ? default : new ReadOnlySpan<byte>((void*)data, size);
        }
    }

    /// <summary>The H.264 decoder (AV_CODEC_ID_H264).</summary>
    internal static AVCodecContextHandle ForDecoder(int codecId)
    {
        nint codec = NativeMethods.avcodec_find_decoder(codecId);
        if (codec == 0)
        {
            throw new FFmpegException(FFmpegError.CodecNotFound, FFmpegConstants.AVERROR_DECODER_NOT_FOUND, $"no decoder for codec id {codecId} in this libavcodec");
        }

        return Allocate(codec);
    }

    /// <summary>An encoder by name ("libx264").</summary>
    internal static AVCodecContextHandle ForEncoder(string name)
    {
        byte[] z = Encoding.ASCII.GetBytes(name + "\0");
        nint codec;
        fixed (byte* p = z)
        {
            codec = NativeMethods.avcodec_find_encoder_by_name(p);
        }

        if (codec == 0)
        {
            throw new FFmpegException(
                FFmpegError.CodecNotFound, FFmpegConstants.AVERROR_ENCODER_NOT_FOUND, $"encoder '{name}' is not in this libavcodec (Debian's libavcodec59 has libx264)");
        }

        return Allocate(codec);
    }

    /// <summary>Copies <paramref name="extradata"/> into av_mallocz'd memory with AV_INPUT_BUFFER_PADDING_SIZE zero bytes after it.</summary>
    internal void SetExtradata(ReadOnlySpan<byte> extradata)
    {
        nint p = Pointer;
        nint old = StructAccess.ReadPointer(p, FFmpegLayout.Current.CodecContextExtradata);
        if (old != 0)
        {
            NativeMethods.av_free((void*)old);
            StructAccess.WritePointer(p, FFmpegLayout.Current.CodecContextExtradata, 0);
            StructAccess.WriteInt32(p, FFmpegLayout.Current.CodecContextExtradataSize, 0);
        }

        void* data = NativeMethods.av_mallocz((nuint)(extradata.Length + FFmpegConstants.AV_INPUT_BUFFER_PADDING_SIZE));
        if (data == null)
        {
            throw new FFmpegException(FFmpegError.OutOfMemory, FFmpegConstants.AVERROR_ENOMEM, "av_mallocz for extradata returned NULL");
        }

        extradata.CopyTo(new Span<byte>(data, extradata.Length));
        StructAccess.WritePointer(p, FFmpegLayout.Current.CodecContextExtradata, (nint)data);
        StructAccess.WriteInt32(p, FFmpegLayout.Current.CodecContextExtradataSize, extradata.Length);
    }

    /// <summary>AVCodecContext.framerate; 5.1 has no AVOption for it, so it is written directly.</summary>
    internal void SetFramerate(int num, int den) => StructAccess.WriteRational(Pointer, FFmpegLayout.Current.CodecContextFramerate, num, den);

    /// <summary>avcodec_open2 with <paramref name="options"/>; throws if it fails or leaves any option unused.</summary>
    internal void Open(AVDictionary options)
    {
        FFmpegResult.Check(options.OpenCodec(Pointer, _codec), "avcodec_open2");
        List<string> unused = options.RemainingKeys();
        if (unused.Count > 0)
        {
            throw new FFmpegException(
                FFmpegError.OptionNotFound,
                FFmpegConstants.AVERROR_OPTION_NOT_FOUND,
                $"avcodec_open2 left options unused (misspelt, or not options of this codec): {string.Join(", ", unused)}");
        }
    }

    internal FFmpegError SendPacket(AVPacketHandle? packet, out int code)
    {
        code = NativeMethods.avcodec_send_packet(Pointer, packet?.Pointer ?? 0);
        return FFmpegResult.ToError(code);
    }

    internal FFmpegError ReceiveFrame(AVFrameHandle frame, out int code)
    {
        code = NativeMethods.avcodec_receive_frame(Pointer, frame.Pointer);
        return FFmpegResult.ToError(code);
    }

    internal FFmpegError SendFrame(AVFrameHandle? frame, out int code)
    {
        code = NativeMethods.avcodec_send_frame(Pointer, frame?.Pointer ?? 0);
        return FFmpegResult.ToError(code);
    }

    internal FFmpegError ReceivePacket(AVPacketHandle packet, out int code)
    {
        code = NativeMethods.avcodec_receive_packet(Pointer, packet.Pointer);
        return FFmpegResult.ToError(code);
    }

    /// <summary>avcodec_flush_buffers: drops buffered input and output, leaves draining mode.</summary>
    internal void FlushBuffers() => NativeMethods.avcodec_flush_buffers(Pointer);

    protected override bool ReleaseHandle()
    {
        nint context = handle;
        NativeMethods.avcodec_free_context(&context);
        return true;
    }

    private static AVCodecContextHandle Allocate(nint codec)
    {
        var context = new AVCodecContextHandle { _codec = codec };
        context.SetHandle(NativeMethods.avcodec_alloc_context3(codec));
        if (context.IsInvalid)
        {
            context.Dispose();
            throw new FFmpegException(FFmpegError.OutOfMemory, FFmpegConstants.AVERROR_ENOMEM, "avcodec_alloc_context3 returned NULL");
        }

        return context;
    }
}
