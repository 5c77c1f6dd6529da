using System.Globalization;

namespace RtmpGateway.Bench.Peers;

/// <summary>
/// What the bench reads from an HLS media playlist (RFC 8216bis): the media sequence number of the
/// first segment, each segment's EXTINF duration and URI, and the LL-HLS parts listed after the last
/// segment (those of the segment in production).
/// </summary>
internal sealed record MediaPlaylist(long MediaSequence, IReadOnlyList<(double Duration, string Uri)> Segments, IReadOnlyList<double> TrailingParts)
{
    public long? NewestSequence => Segments.Count == 0 ? null : MediaSequence + Segments.Count - 1;

    /// <summary>Null when the text is not a media playlist (e.g. a file read while being replaced).</summary>
    public static MediaPlaylist? TryParse(string text)
    {
        if (!text.StartsWith("#EXTM3U", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return Parse(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static MediaPlaylist Parse(string text)
    {
        long sequence = 0;
        var segments = new List<(double, string)>();
        var parts = new List<double>();
        double? pendingDuration = null;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("#EXT-X-MEDIA-SEQUENCE:", StringComparison.Ordinal))
            {
                sequence = long.Parse(line.AsSpan("#EXT-X-MEDIA-SEQUENCE:".Length), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("#EXTINF:", StringComparison.Ordinal))
            {
                // "#EXTINF:<duration>,[<title>]"
                string value = line["#EXTINF:".Length..].Split(',')[0];
                pendingDuration = double.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("#EXT-X-PART:", StringComparison.Ordinal))
            {
                parts.Add(double.Parse(Attribute(line, "DURATION"), CultureInfo.InvariantCulture));
            }
            else if (line.Length > 0 && line[0] != '#' && pendingDuration is { } duration)
            {
                // A segment's URI line: the parts before it were that segment's.
                segments.Add((duration, line));
                pendingDuration = null;
                parts.Clear();
            }
        }

        return new MediaPlaylist(sequence, segments, parts);
    }

    private static string Attribute(string line, string name)
    {
        int start = line.IndexOf(name + "=", StringComparison.Ordinal) + name.Length + 1;
        int end = line.IndexOf(',', start);
        return (end < 0 ? line[start..] : line[start..end]).Trim('"');
    }
}

/// <summary>
/// Follows one stream's media playlist from its first segment: every segment seen is kept by media
/// sequence number, so the media time at the live edge is the sum of the durations of all segments
/// so far plus the parts of the segment in production.
/// </summary>
internal sealed class LiveEdgeTracker
{
    private readonly SortedDictionary<long, double> _durations = [];
    private double _trailingParts;

    /// <summary>Segments missing between the first and the newest (the playlist moved on between two reads): 0 in a valid run.</summary>
    public int Missing => _durations.Count == 0 ? 0 : (int)(_durations.Keys.Last() - _durations.Keys.First() + 1 - _durations.Count);

    public bool HasSegments => _durations.Count > 0;

    /// <summary>Media time (s, from the stream's first segment) at the end of the newest segment or part available.</summary>
    public double MediaEnd => _durations.Values.Sum() + _trailingParts;

    public void Add(MediaPlaylist playlist)
    {
        ArgumentNullException.ThrowIfNull(playlist);
        for (int i = 0; i < playlist.Segments.Count; i++)
        {
            _durations.TryAdd(playlist.MediaSequence + i, playlist.Segments[i].Duration);
        }

        _trailingParts = playlist.TrailingParts.Sum();
    }
}
