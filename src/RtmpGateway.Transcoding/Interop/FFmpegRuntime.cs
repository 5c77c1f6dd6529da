using System.Globalization;
using Microsoft.Extensions.Logging;
using RtmpGateway.Transcoding.Interop;

namespace RtmpGateway.Transcoding;

/// <summary>One loaded FFmpeg library: logical name ("avcodec"), file ("libavcodec.so.59"), version.</summary>
public sealed record FFmpegLibraryInfo(string Name, string FileName, Version Version);

/// <summary>What <see cref="FFmpegRuntime.TryInitialize"/> found.</summary>
/// <param name="IsAvailable">True when a supported, consistent set of FFmpeg libraries is loaded.</param>
/// <param name="Message">On success the versions; otherwise what is missing and what to install.</param>
/// <param name="VersionInfo">av_version_info(), e.g. "5.1.9-0+deb12u1"; null when unavailable.</param>
/// <param name="Layout">The struct layout table in use ("5.1"); null when unavailable.</param>
/// <param name="Libraries">The loaded libraries and their versions; empty when unavailable.</param>
public sealed record FFmpegStatus(
    bool IsAvailable,
    string Message,
    string? VersionInfo,
    string? Layout,
    IReadOnlyList<FFmpegLibraryInfo> Libraries);

/// <summary>
/// The version gate: loads one consistent set of FFmpeg libraries (7.x, 6.x or 5.1, newest first,
/// never mixing majors) and checks their struct layout before anything else touches them.
/// </summary>
public static class FFmpegRuntime
{
    private static readonly Lock Gate = new();
    private static FFmpegStatus? s_ready;

    /// <summary>
    /// Loads and checks the libraries once. Never throws: on failure <paramref name="status"/> says
    /// exactly what to install. Safe to call again; a success is remembered.
    /// </summary>
    public static bool TryInitialize(out FFmpegStatus status)
    {
        lock (Gate)
        {
            if (s_ready is not null)
            {
                status = s_ready;
                return true;
            }

            try
            {
                status = TryLoad(SonameSet.Default, commit: true);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or InvalidOperationException or EntryPointNotFoundException)
            {
                status = new FFmpegStatus(false, $"FFmpeg could not be loaded ({e.Message}); {SonameSet.FFmpeg51.InstallAdvice()}.", null, null, []);
            }

            if (status.IsAvailable)
            {
                s_ready = status;
            }

            return status.IsAvailable;
        }
    }

    /// <summary>Throws <see cref="FFmpegException"/> with the install advice when FFmpeg cannot be used.</summary>
    public static void EnsureInitialized()
    {
        if (!TryInitialize(out FFmpegStatus status))
        {
            throw new FFmpegException(FFmpegError.LibrariesUnavailable, 0, status.Message);
        }
    }

    /// <summary>
    /// Sends FFmpeg's log (av_log, from any thread) to <paramref name="logger"/>, at the most verbose
    /// level the logger has enabled when attached.
    /// </summary>
    public static void AttachLogger(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        EnsureInitialized();
        FFmpegLog.Attach(logger);
    }

    /// <summary>Probes <paramref name="sets"/>; commits the result only when asked (tests probe without committing).</summary>
    internal static FFmpegStatus TryLoad(IReadOnlyList<SonameSet> sets, bool commit)
    {
        LoadedLibraries? loaded = FFmpegLibraries.Probe(sets, out string failure);
        if (loaded is null)
        {
            return new FFmpegStatus(false, failure, null, null, []);
        }

        if (commit)
        {
            FFmpegLibraries.Commit(loaded);
        }

        string libraries = string.Join(", ", loaded.Versions.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.FileName} {v.Version}")));
        string layout = loaded.Set.Layout.VerifiedAgainstHeaders
            ? $"struct layout {loaded.Set.Layout.Name}"
            : $"struct layout {loaded.Set.Layout.Name} from a table not checked against headers, passed the start-up sentinel checks";
        return new FFmpegStatus(true, $"FFmpeg {loaded.VersionInfo}: {libraries} ({layout})", loaded.VersionInfo, loaded.Set.Layout.Name, loaded.Versions);
    }
}
