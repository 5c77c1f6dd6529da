using System.Globalization;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>The complete segments of an HLS media playlist as a player reads them (RFC 8216bis 4.4.4): tags apply to the next URI.</summary>
public sealed class MediaPlaylist
{
    public sealed record Segment(long Sequence, string Uri, double Duration, DateTimeOffset? ProgramDateTime, bool Discontinuity, long DiscontinuitySequence, string Map);

    private MediaPlaylist(string text, List<Segment> segments, long mediaSequence, long discontinuitySequence, int targetDuration)
    {
        Text = text;
        Segments = segments;
        MediaSequence = mediaSequence;
        DiscontinuitySequence = discontinuitySequence;
        TargetDuration = targetDuration;
    }

    public string Text { get; }

    public IReadOnlyList<Segment> Segments { get; }

    public long MediaSequence { get; }

    public long DiscontinuitySequence { get; }

    public int TargetDuration { get; }

    public bool Ended => Text.Contains("#EXT-X-ENDLIST", StringComparison.Ordinal);

    public static MediaPlaylist Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var segments = new List<Segment>();
        long mediaSequence = 0;
        long discontinuitySequence = 0;
        int target = 0;
        string map = "";
        double duration = 0;
        DateTimeOffset? pdt = null;
        bool discontinuity = false;
        long dseq = 0;
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith("#EXT-X-MEDIA-SEQUENCE:", StringComparison.Ordinal))
            {
                mediaSequence = long.Parse(line[22..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("#EXT-X-DISCONTINUITY-SEQUENCE:", StringComparison.Ordinal))
            {
                discontinuitySequence = long.Parse(line[30..], CultureInfo.InvariantCulture);
                dseq = discontinuitySequence;
            }
            else if (line.StartsWith("#EXT-X-TARGETDURATION:", StringComparison.Ordinal))
            {
                target = int.Parse(line[22..], CultureInfo.InvariantCulture);
            }
            else if (line == "#EXT-X-DISCONTINUITY")
            {
                discontinuity = true;
                dseq++;
            }
            else if (line.StartsWith("#EXT-X-MAP:URI=\"", StringComparison.Ordinal))
            {
                map = line[16..line.IndexOf('"', 16)];
            }
            else if (line.StartsWith("#EXT-X-PROGRAM-DATE-TIME:", StringComparison.Ordinal))
            {
                pdt = DateTimeOffset.Parse(line[25..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("#EXTINF:", StringComparison.Ordinal))
            {
                duration = double.Parse(line[8..line.IndexOf(',', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            }
            else if (line.Length > 0 && !line.StartsWith('#'))
            {
                segments.Add(new Segment(mediaSequence + segments.Count, line, duration, pdt, discontinuity, dseq, map));
                discontinuity = false;
                pdt = null;
            }
        }

        return new MediaPlaylist(text, segments, mediaSequence, discontinuitySequence, target);
    }

    /// <summary>The sequence number in a segment URI ("seg-{session}-{n}.m4s").</summary>
    public static long SequenceInUri(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        int dash = uri.LastIndexOf('-');
        return long.Parse(uri[(dash + 1)..uri.IndexOf(".m4s", StringComparison.Ordinal)], CultureInfo.InvariantCulture);
    }
}
