using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

[assembly: DisableRuntimeMarshalling]

namespace RtmpGateway.Transcoding.Interop;

/// <summary>
/// The FFmpeg entry points this project calls, declared from the public headers (libavutil/frame.h,
/// libavcodec/avcodec.h, libswscale/swscale.h, ...). The library names are logical: the resolver in
/// <see cref="FFmpegLibraries"/> maps them to one soname set. Nothing here returns a string: a
/// marshalled string return is freed by the marshaller, and FFmpeg's version strings are static.
/// </summary>
internal static unsafe partial class NativeMethods
{
    internal const string AvUtil = "avutil";
    internal const string AvCodec = "avcodec";
    internal const string SwScale = "swscale";
    internal const string AvFilter = "avfilter";
    internal const string SwResample = "swresample";

    // Explicit, so it runs before the first stub binds: no FFmpeg name may fall through to the
    // runtime's default probing (which would find the -dev package's unversioned symlinks).
    static NativeMethods() => FFmpegLibraries.EnsureResolver();

    // libavutil/avutil.h, frame.h, mem.h, error.h, dict.h, log.h

    [LibraryImport(AvUtil)]
    internal static partial byte* av_version_info();

    [LibraryImport(AvUtil)]
    internal static partial uint avutil_version();

    [LibraryImport(AvUtil)]
    internal static partial nint av_frame_alloc();

    [LibraryImport(AvUtil)]
    internal static partial void av_frame_free(nint* frame);

    [LibraryImport(AvUtil)]
    internal static partial int av_frame_ref(nint dst, nint src);

    [LibraryImport(AvUtil)]
    internal static partial void av_frame_unref(nint frame);

    [LibraryImport(AvUtil)]
    internal static partial int av_frame_copy_props(nint dst, nint src);

    [LibraryImport(AvUtil)]
    internal static partial void* av_mallocz(nuint size);

    [LibraryImport(AvUtil)]
    internal static partial void av_free(void* ptr);

    [LibraryImport(AvUtil)]
    internal static partial int av_strerror(int errnum, byte* errbuf, nuint errbufSize);

    [LibraryImport(AvUtil)]
    internal static partial int av_dict_set(nint* pm, byte* key, byte* value, int flags);

    [LibraryImport(AvUtil)]
    internal static partial AVDictionaryEntry* av_dict_get(nint m, byte* key, AVDictionaryEntry* prev, int flags);

    [LibraryImport(AvUtil)]
    internal static partial int av_dict_count(nint m);

    [LibraryImport(AvUtil)]
    internal static partial void av_dict_free(nint* m);

    [LibraryImport(AvUtil)]
    internal static partial void av_log_set_callback(delegate* unmanaged[Cdecl]<nint, int, nint, nint, void> callback);

    [LibraryImport(AvUtil)]
    internal static partial void av_log_set_level(int level);

    [LibraryImport(AvUtil)]
    internal static partial int av_log_format_line2(nint avcl, int level, nint fmt, nint vl, byte* line, int lineSize, int* printPrefix);

    // libavcodec/avcodec.h, codec.h, packet.h

    [LibraryImport(AvCodec)]
    internal static partial uint avcodec_version();

    [LibraryImport(AvCodec)]
    internal static partial nint avcodec_find_decoder(int id);

    [LibraryImport(AvCodec)]
    internal static partial nint avcodec_find_encoder_by_name(byte* name);

    [LibraryImport(AvCodec)]
    internal static partial nint avcodec_alloc_context3(nint codec);

    [LibraryImport(AvCodec)]
    internal static partial void avcodec_free_context(nint* avctx);

    [LibraryImport(AvCodec)]
    internal static partial int avcodec_open2(nint avctx, nint codec, nint* options);

    [LibraryImport(AvCodec)]
    internal static partial int avcodec_send_packet(nint avctx, nint avpkt);

    [LibraryImport(AvCodec)]
    internal static partial int avcodec_receive_frame(nint avctx, nint frame);

    [LibraryImport(AvCodec)]
    internal static partial int avcodec_send_frame(nint avctx, nint frame);

    [LibraryImport(AvCodec)]
    internal static partial int avcodec_receive_packet(nint avctx, nint avpkt);

    [LibraryImport(AvCodec)]
    internal static partial void avcodec_flush_buffers(nint avctx);

    [LibraryImport(AvCodec)]
    internal static partial nint av_packet_alloc();

    [LibraryImport(AvCodec)]
    internal static partial void av_packet_free(nint* pkt);

    [LibraryImport(AvCodec)]
    internal static partial void av_packet_unref(nint pkt);

    [LibraryImport(AvCodec)]
    internal static partial int av_new_packet(nint pkt, int size);

    // libswscale/swscale.h

    [LibraryImport(SwScale)]
    internal static partial uint swscale_version();

    [LibraryImport(SwScale)]
    internal static partial nint sws_getContext(
        int srcW, int srcH, int srcFormat, int dstW, int dstH, int dstFormat, int flags, nint srcFilter, nint dstFilter, double* param);

    [LibraryImport(SwScale)]
    internal static partial void sws_freeContext(nint swsContext);

    [LibraryImport(SwScale)]
    internal static partial int sws_scale_frame(nint c, nint dst, nint src);
}

/// <summary>libavutil/dict.h: <c>typedef struct AVDictionaryEntry { char *key; char *value; } AVDictionaryEntry;</c></summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct AVDictionaryEntry
{
    public byte* Key;
    public byte* Value;
}
