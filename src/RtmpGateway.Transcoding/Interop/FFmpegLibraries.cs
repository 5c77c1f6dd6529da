using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace RtmpGateway.Transcoding.Interop;

/// <summary>One library of a soname set: its logical name in [LibraryImport], file name, Debian package.</summary>
internal sealed record LibrarySoname(string LogicalName, string FileName, string Package, bool Required);

/// <summary>The libraries of one FFmpeg release line; all are loaded from the same set, never mixed.</summary>
internal sealed record SonameSet(FFmpegLayout Layout, IReadOnlyList<LibrarySoname> Libraries)
{
    /// <summary>
    /// FFmpeg 5.1 (Debian 12): the release this project is built and tested against, and the one the
    /// "install" advice names.
    /// </summary>
    internal static SonameSet FFmpeg51 { get; } = Create(FFmpegLayout.FFmpeg51, avutil: 57, avcodec: 59, swscale: 6, avfilter: 8, swresample: 4);

    internal static SonameSet FFmpeg6 { get; } = Create(FFmpegLayout.FFmpeg6, avutil: 58, avcodec: 60, swscale: 7, avfilter: 9, swresample: 4);

    internal static SonameSet FFmpeg7 { get; } = Create(FFmpegLayout.FFmpeg7, avutil: 59, avcodec: 61, swscale: 8, avfilter: 10, swresample: 5);

    /// <summary>Probed newest to oldest.</summary>
    internal static IReadOnlyList<SonameSet> Default { get; } = [FFmpeg7, FFmpeg6, FFmpeg51];

    internal static SonameSet Create(FFmpegLayout layout, int avutil, int avcodec, int swscale, int avfilter, int swresample) =>
        new(layout,
        [
            Lib(NativeMethods.AvUtil, avutil, required: true),
            Lib(NativeMethods.AvCodec, avcodec, required: true),
            Lib(NativeMethods.SwScale, swscale, required: true),
            Lib(NativeMethods.AvFilter, avfilter, required: false),
            Lib(NativeMethods.SwResample, swresample, required: false),
        ]);

    /// <summary>The same set with one library's file name replaced (tests simulate a missing library).</summary>
    internal SonameSet WithFileName(string logicalName, string fileName) =>
        this with { Libraries = Libraries.Select(l => l.LogicalName == logicalName ? l with { FileName = fileName } : l).ToArray() };

    internal string InstallAdvice() =>
        $"install {string.Join(' ', Libraries.Select(l => l.Package))} (Debian 12: apt-get install ffmpeg)";

    // Debian names the runtime package after the soname: libavcodec.so.59 is in libavcodec59.
    private static LibrarySoname Lib(string logical, int major, bool required) =>
        new(logical, $"lib{logical}.so.{major}", string.Create(CultureInfo.InvariantCulture, $"lib{logical}{major}"), required);
}

/// <summary>A loaded, checked soname set.</summary>
internal sealed record LoadedLibraries(
    SonameSet Set,
    IReadOnlyDictionary<string, nint> Handles,
    IReadOnlyList<FFmpegLibraryInfo> Versions,
    string VersionInfo);

/// <summary>
/// Loads FFmpeg's shared libraries by versioned soname and resolves the logical names of
/// <see cref="NativeMethods"/> to them. Never the unversioned <c>libavutil.so</c>: only the -dev
/// package has that symlink. Probing calls exports through function pointers of the candidate
/// handles, because a [LibraryImport] stub binds once and forever on its first call.
/// </summary>
internal static unsafe class FFmpegLibraries
{
    private static readonly Lock Gate = new();
    private static bool s_resolverInstalled;
    private static LoadedLibraries? s_loaded;

    internal static LoadedLibraries? Loaded => Volatile.Read(ref s_loaded);

    /// <summary>Installs the resolver for this assembly (once; the runtime allows one per assembly).</summary>
    internal static void EnsureResolver()
    {
        lock (Gate)
        {
            if (!s_resolverInstalled)
            {
                NativeLibrary.SetDllImportResolver(typeof(FFmpegLibraries).Assembly, Resolve);
                s_resolverInstalled = true;
            }
        }
    }

    /// <summary>Makes <paramref name="loaded"/> the libraries every [LibraryImport] of this assembly binds to.</summary>
    internal static void Commit(LoadedLibraries loaded)
    {
        EnsureResolver();
        FFmpegLayout.SetCurrent(loaded.Set.Layout);
        Volatile.Write(ref s_loaded, loaded);
    }

    /// <summary>
    /// Tries each set in order. Returns the first whose libraries all load, whose majors are the ones
    /// the set names, and whose struct layout passes the sentinel checks; otherwise null and a message
    /// that says what was found and what to install. Never throws; never changes global state.
    /// </summary>
    internal static LoadedLibraries? Probe(IReadOnlyList<SonameSet> sets, out string failure)
    {
        var reasons = new List<string>();
        foreach (SonameSet set in sets)
        {
            LoadedLibraries? loaded = TryLoad(set, out string reason);
            if (loaded is not null)
            {
                failure = "";
                return loaded;
            }

            reasons.Add($"FFmpeg {set.Layout.Name}: {reason}");
        }

        SonameSet advised = sets.FirstOrDefault(s => s.Layout.VerifiedAgainstHeaders) ?? SonameSet.FFmpeg51;
        failure = $"FFmpeg libraries are missing or unusable ({string.Join("; ", reasons)}). " +
            $"Transcoding needs FFmpeg {advised.Layout.Name}: {advised.InstallAdvice()}.";
        return null;
    }

    private static LoadedLibraries? TryLoad(SonameSet set, out string reason)
    {
        var handles = new Dictionary<string, nint>();
        var missing = new List<string>();
        foreach (LibrarySoname lib in set.Libraries)
        {
            if (NativeLibrary.TryLoad(lib.FileName, out nint handle))
            {
                handles[lib.LogicalName] = handle;
            }
            else if (lib.Required)
            {
                missing.Add($"{lib.FileName} (package {lib.Package})");
            }
        }

        try
        {
            if (missing.Count > 0)
            {
                reason = $"not found: {string.Join(", ", missing)}";
                return null;
            }

            var versions = new List<FFmpegLibraryInfo>();
            foreach (LibrarySoname lib in set.Libraries.Where(l => handles.ContainsKey(l.LogicalName)))
            {
                var version = (delegate* unmanaged[Cdecl]<uint>)NativeLibrary.GetExport(handles[lib.LogicalName], lib.LogicalName + "_version");
                uint v = version();
                versions.Add(new FFmpegLibraryInfo(lib.LogicalName, lib.FileName, new Version((int)(v >> 16), (int)((v >> 8) & 0xFF), (int)(v & 0xFF))));
            }

            int avutilMajor = versions.Single(v => v.Name == NativeMethods.AvUtil).Version.Major;
            int avcodecMajor = versions.Single(v => v.Name == NativeMethods.AvCodec).Version.Major;
            if (avutilMajor != set.Layout.AvUtilMajor || avcodecMajor != set.Layout.AvCodecMajor)
            {
                reason = $"libavutil {avutilMajor} / libavcodec {avcodecMajor} are not the supported majors " +
                    $"{set.Layout.AvUtilMajor} / {set.Layout.AvCodecMajor}";
                return null;
            }

            string? sentinel = CheckSentinels(set.Layout, handles[NativeMethods.AvUtil], handles[NativeMethods.AvCodec]);
            if (sentinel is not null)
            {
                reason = $"struct layout check failed ({sentinel})";
                return null;
            }

            var versionInfo = (delegate* unmanaged[Cdecl]<byte*>)NativeLibrary.GetExport(handles[NativeMethods.AvUtil], "av_version_info");
            string info = Marshal.PtrToStringUTF8((nint)versionInfo()) ?? "";
            reason = "";
            var result = new LoadedLibraries(set, handles, versions, info);
            handles = [];
            return result;
        }
        catch (EntryPointNotFoundException e)
        {
            reason = $"unexpected library: {e.Message}";
            return null;
        }
        finally
        {
            // A rejected set is unloaded so that nothing of it can be bound later.
            foreach (nint handle in handles.Values)
            {
                NativeLibrary.Free(handle);
            }
        }
    }

    /// <summary>
    /// Fresh structures have known field values: av_frame_alloc gives pts = best_effort_timestamp =
    /// AV_NOPTS_VALUE and format = -1; av_packet_alloc gives pts = dts = AV_NOPTS_VALUE, data = NULL,
    /// size = 0, and av_new_packet sets data and size; avcodec_alloc_context3(NULL) gives no
    /// extradata and framerate = {0, 1}. Returns what did not match, or null.
    /// </summary>
    private static string? CheckSentinels(FFmpegLayout layout, nint avutil, nint avcodec)
    {
        var frameAlloc = (delegate* unmanaged[Cdecl]<nint>)NativeLibrary.GetExport(avutil, "av_frame_alloc");
        var frameFree = (delegate* unmanaged[Cdecl]<nint*, void>)NativeLibrary.GetExport(avutil, "av_frame_free");
        var packetAlloc = (delegate* unmanaged[Cdecl]<nint>)NativeLibrary.GetExport(avcodec, "av_packet_alloc");
        var packetFree = (delegate* unmanaged[Cdecl]<nint*, void>)NativeLibrary.GetExport(avcodec, "av_packet_free");
        var newPacket = (delegate* unmanaged[Cdecl]<nint, int, int>)NativeLibrary.GetExport(avcodec, "av_new_packet");
        var contextAlloc = (delegate* unmanaged[Cdecl]<nint, nint>)NativeLibrary.GetExport(avcodec, "avcodec_alloc_context3");
        var contextFree = (delegate* unmanaged[Cdecl]<nint*, void>)NativeLibrary.GetExport(avcodec, "avcodec_free_context");

        var problems = new StringBuilder();
        nint frame = frameAlloc();
        if (frame == 0)
        {
            return "av_frame_alloc returned NULL";
        }

        Expect(problems, "AVFrame.pts", StructAccess.ReadInt64(frame, layout.FramePts), FFmpegConstants.AV_NOPTS_VALUE);
        Expect(problems, "AVFrame.best_effort_timestamp", StructAccess.ReadInt64(frame, layout.FrameBestEffortTimestamp), FFmpegConstants.AV_NOPTS_VALUE);
        Expect(problems, "AVFrame.format", StructAccess.ReadInt32(frame, layout.FrameFormat), FFmpegConstants.AV_PIX_FMT_NONE);
        Expect(problems, "AVFrame.width", StructAccess.ReadInt32(frame, layout.FrameWidth), 0);
        Expect(problems, "AVFrame.pict_type", StructAccess.ReadInt32(frame, layout.FramePictType), FFmpegConstants.AV_PICTURE_TYPE_NONE);
        frameFree(&frame);

        nint packet = packetAlloc();
        if (packet == 0)
        {
            return "av_packet_alloc returned NULL";
        }

        Expect(problems, "AVPacket.pts", StructAccess.ReadInt64(packet, layout.PacketPts), FFmpegConstants.AV_NOPTS_VALUE);
        Expect(problems, "AVPacket.dts", StructAccess.ReadInt64(packet, layout.PacketDts), FFmpegConstants.AV_NOPTS_VALUE);
        Expect(problems, "AVPacket.data", StructAccess.ReadPointer(packet, layout.PacketData), 0);
        Expect(problems, "AVPacket.flags", StructAccess.ReadInt32(packet, layout.PacketFlags), 0);
        if (newPacket(packet, 37) == 0)
        {
            Expect(problems, "AVPacket.size after av_new_packet(37)", StructAccess.ReadInt32(packet, layout.PacketSize), 37);
            if (StructAccess.ReadPointer(packet, layout.PacketData) == 0)
            {
                problems.Append("AVPacket.data is NULL after av_new_packet; ");
            }
        }

        packetFree(&packet);

        nint context = contextAlloc(0);
        if (context == 0)
        {
            return "avcodec_alloc_context3 returned NULL";
        }

        Expect(problems, "AVCodecContext.extradata", StructAccess.ReadPointer(context, layout.CodecContextExtradata), 0);
        Expect(problems, "AVCodecContext.extradata_size", StructAccess.ReadInt32(context, layout.CodecContextExtradataSize), 0);
        (int num, int den) = StructAccess.ReadRational(context, layout.CodecContextFramerate);
        Expect(problems, "AVCodecContext.framerate.num", num, 0);
        Expect(problems, "AVCodecContext.framerate.den", den, 1);
        contextFree(&context);

        return problems.Length == 0 ? null : problems.ToString().TrimEnd(' ', ';');
    }

    private static void Expect(StringBuilder problems, string field, long actual, long expected)
    {
        if (actual != expected)
        {
            problems.Append(CultureInfo.InvariantCulture, $"{field} = {actual}, expected {expected}; ");
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName is not (NativeMethods.AvUtil or NativeMethods.AvCodec or NativeMethods.SwScale or NativeMethods.AvFilter or NativeMethods.SwResample))
        {
            return 0;
        }

        LoadedLibraries? loaded = Loaded;
        if (loaded is null && !FFmpegRuntime.TryInitialize(out FFmpegStatus status))
        {
            throw new DllNotFoundException(status.Message);
        }

        loaded = Loaded!;
        return loaded.Handles.TryGetValue(libraryName, out nint handle)
            ? handle
            : throw new DllNotFoundException($"lib{libraryName} of FFmpeg {loaded.Set.Layout.Name} is not installed: {loaded.Set.InstallAdvice()}.");
    }
}
