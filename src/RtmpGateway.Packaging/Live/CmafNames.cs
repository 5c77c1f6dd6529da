using System.Globalization;

namespace RtmpGateway.Packaging.Live;

/// <summary>
/// The file names of a rendition's init segment, segments and parts, in one place: the playlists,
/// the MPD and the HTTP routes all use these.
/// </summary>
public static class CmafNames
{
    public static string Init(string session, int configVersion) => string.Create(CultureInfo.InvariantCulture, $"init-{session}-{configVersion}.mp4");

    public static string Segment(string session, long sequence) => string.Create(CultureInfo.InvariantCulture, $"seg-{session}-{sequence}.m4s");

    public static string Part(string session, long sequence, int part) => string.Create(CultureInfo.InvariantCulture, $"part-{session}-{sequence}.{part}.m4s");

    /// <summary>The DASH SegmentTemplate media pattern matching <see cref="Segment"/>.</summary>
    public static string SegmentTemplate(string session) => $"$RepresentationID$/seg-{session}-$Number$.m4s";

    /// <summary>Parses "seg-{session}-{n}.m4s" of this session.</summary>
    public static bool TryParseSegment(string file, string session, out long sequence)
    {
        sequence = 0;
        string prefix = "seg-" + session + "-";
        return file.StartsWith(prefix, StringComparison.Ordinal) && file.EndsWith(".m4s", StringComparison.Ordinal)
            && long.TryParse(file.AsSpan(prefix.Length, file.Length - prefix.Length - 4), NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
    }

    /// <summary>Parses "part-{session}-{n}.{i}.m4s" of this session.</summary>
    public static bool TryParsePart(string file, string session, out long sequence, out int part)
    {
        sequence = 0;
        part = 0;
        string prefix = "part-" + session + "-";
        if (!file.StartsWith(prefix, StringComparison.Ordinal) || !file.EndsWith(".m4s", StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> body = file.AsSpan(prefix.Length, file.Length - prefix.Length - 4);
        int dot = body.IndexOf('.');
        return dot > 0
            && long.TryParse(body[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out sequence)
            && int.TryParse(body[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out part);
    }
}
