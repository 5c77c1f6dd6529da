using Microsoft.Win32.SafeHandles;

namespace RtmpGateway.Transcoding.Interop;

/// <summary>Owns one AVPacket (av_packet_alloc / av_packet_free). Never allocated in managed memory.</summary>
internal sealed unsafe class AVPacketHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    internal AVPacketHandle()
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

    internal long Pts
    {
        get => StructAccess.ReadInt64(Pointer, FFmpegLayout.Current.PacketPts);
        set => StructAccess.WriteInt64(Pointer, FFmpegLayout.Current.PacketPts, value);
    }

    internal long Dts
    {
        get => StructAccess.ReadInt64(Pointer, FFmpegLayout.Current.PacketDts);
        set => StructAccess.WriteInt64(Pointer, FFmpegLayout.Current.PacketDts, value);
    }

    /// <summary>AV_PKT_FLAG_* bits.</summary>
    internal int Flags
    {
        get => StructAccess.ReadInt32(Pointer, FFmpegLayout.Current.PacketFlags);
        set => StructAccess.WriteInt32(Pointer, FFmpegLayout.Current.PacketFlags, value);
    }

    /// <summary>
    /// The payload, valid only until the next <see cref="Unref"/> or <see cref="SetPayload"/>: copy
    /// what is kept.
    /// </summary>
    internal ReadOnlySpan<byte> Data
    {
        get
        {
            nint p = Pointer;
            nint data = StructAccess.ReadPointer(p, FFmpegLayout.Current.PacketData);
            int size = StructAccess.ReadInt32(p, FFmpegLayout.Current.PacketSize);
            return data == 0 || size <= 0 ? default : new ReadOnlySpan<byte>((void*)data, size);
        }
    }

    internal static AVPacketHandle Allocate()
    {
        var packet = new AVPacketHandle();
        packet.SetHandle(NativeMethods.av_packet_alloc());
        if (packet.IsInvalid)
        {
            packet.Dispose();
            throw new FFmpegException(FFmpegError.OutOfMemory, FFmpegConstants.AVERROR_ENOMEM, "av_packet_alloc returned NULL");
        }

        return packet;
    }

    /// <summary>
    /// Replaces the packet with a reference-counted copy of <paramref name="payload"/>: av_new_packet
    /// allocates size + AV_INPUT_BUFFER_PADDING_SIZE and zeroes the padding, as decoders require.
    /// </summary>
    internal void SetPayload(ReadOnlySpan<byte> payload)
    {
        NativeMethods.av_packet_unref(Pointer);
        FFmpegResult.Check(NativeMethods.av_new_packet(Pointer, payload.Length), "av_new_packet");
        nint data = StructAccess.ReadPointer(Pointer, FFmpegLayout.Current.PacketData);
        payload.CopyTo(new Span<byte>((void*)data, payload.Length));
    }

    internal void Unref() => NativeMethods.av_packet_unref(Pointer);

    protected override bool ReleaseHandle()
    {
        nint packet = handle;
        NativeMethods.av_packet_free(&packet);
        return true;
    }
}
