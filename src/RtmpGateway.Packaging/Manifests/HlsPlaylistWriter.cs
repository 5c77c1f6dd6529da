using System.Globalization;
using System.Text;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Live;

namespace RtmpGateway.Packaging.Manifests;

/// <summary>
/// HLS playlists (RFC 8216 and its second edition draft) for a stream's CMAF output: the
/// multivariant playlist and one media playlist per rendition. Relative URIs throughout, so the
/// same text works behind any prefix or edge cache.
/// </summary>
public static class HlsPlaylistWriter
{
    /// <summary>Bits per second advertised before any segment has been measured.</summary>
    private const long FallbackVideoBitrate = 2_000_000;
    private const long FallbackAudioBitrate = 128_000;

    /// <summary>
    /// Part targets a low-latency player stays behind the live edge: PART-HOLD-BACK (§4.4.3.8, at
    /// least three) and the MPD's ServiceDescription latency target, for the same chunks.
    /// </summary>
    public const int HoldBackParts = 3;

    /// <summary>Seconds added to the configured part duration in PART-TARGET: two milliseconds of timestamp rounding.</summary>
    public const double PartTargetAllowance = 0.002;

    /// <summary>The multivariant playlist; null while the stream has no track yet.</summary>
    public static string? Multivariant(StreamOutput stream, string uriQuery = "")
    {
        ArgumentNullException.ThrowIfNull(stream);
        TrackSnapshot? audio = stream.Audio;
        TrackSnapshot[] videos = [.. stream.Video];
        if (videos.Length == 0 && audio is null)
        {
            return null;
        }

        var sb = new StringBuilder(512);
        sb.Append("#EXTM3U\n");

        // Version 7: fMP4 segments (EXT-X-MAP in a playlist without I-frames needs 6+), and
        // EXT-X-MEDIA INSTREAM-ID-free renditions; 7 is what the media playlists declare too.
        sb.Append("#EXT-X-VERSION:7\n");
        sb.Append("#EXT-X-INDEPENDENT-SEGMENTS\n");
        if (videos.Length == 0)
        {
            // Audio only: one variant, the audio playlist itself.
            (long peak, long average) = Bitrates(audio!, FallbackAudioBitrate);
            sb.Append(Inv($"#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average},CODECS=\"{audio!.Config.CodecString}\"\n"));
            sb.Append(audio.Rendition).Append("/index.m3u8").Append(uriQuery).Append('\n');
            return sb.ToString();
        }

        if (audio is not null)
        {
            // §4.4.6.1 EXT-X-MEDIA: CHANNELS is REQUIRED for audio renditions in the second edition.
            sb.Append(Inv($"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",LANGUAGE=\"und\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"{Math.Max(1, audio.Config.Channels)}\",URI=\"{audio.Rendition}/index.m3u8{uriQuery}\"\n"));
        }

        (long audioPeak, long audioAverage) = audio is null ? (0, 0) : Bitrates(audio, FallbackAudioBitrate);
        foreach (TrackSnapshot video in videos.OrderByDescending(v => v.Config.Height))
        {
            (long peak, long average) = Bitrates(video, FallbackVideoBitrate);
            string codecs = audio is null ? video.Config.CodecString : video.Config.CodecString + "," + audio.Config.CodecString;

            // BANDWIDTH is the peak segment bitrate of everything the variant plays (§4.4.6.2).
            sb.Append(Inv($"#EXT-X-STREAM-INF:BANDWIDTH={peak + audioPeak},AVERAGE-BANDWIDTH={average + audioAverage},CODECS=\"{codecs}\""));
            if (video.Config.Width > 0 && video.Config.Height > 0)
            {
                sb.Append(Inv($",RESOLUTION={video.Config.Width}x{video.Config.Height}"));
            }

            if (video.Config.FrameRate is { } fps)
            {
                sb.Append(Inv($",FRAME-RATE={fps:F3}"));
            }

            if (audio is not null)
            {
                sb.Append(",AUDIO=\"audio\"");
            }

            sb.Append('\n').Append(video.Rendition).Append("/index.m3u8").Append(uriQuery).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// PART-TARGET of a rendition: the configured part duration plus what its cuts can add to it.
    /// Video: the two milliseconds of FLV timestamp rounding. Audio: one AAC frame, since audio parts
    /// end at the frame nearest each part instant (see <c>TrackSegmenter</c>).
    /// </summary>
    public static double PartTargetSeconds(TrackSnapshot track, PackagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(track);
        ArgumentNullException.ThrowIfNull(options);
        double allowance = track.Config.Kind == MediaKind.Audio
            ? Math.Ceiling(1024_000.0 / track.Config.Timescale) / 1000
            : PartTargetAllowance;
        return options.PartTarget.TotalSeconds + allowance;
    }

    /// <summary>
    /// <see cref="Media"/> of the rendition's current snapshot as UTF-8, rendered once per change of
    /// the stream and then shared by every request (players of one stream ask for the same playlist,
    /// blocking reloads all at once); null when there is no such rendition. With a
    /// <paramref name="uriQuery"/> (a viewer's own token) it is rendered for that request alone.
    /// </summary>
    public static byte[]? MediaUtf8(StreamOutput stream, string rendition, PackagingOptions options, bool skip = false, string uriQuery = "")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(uriQuery);

        // The change count first, then the state: what is rendered is at least as new as the count says.
        long version = stream.Changed.Version;
        if (stream.Find(rendition) is not { } track)
        {
            return null;
        }

        if (uriQuery.Length > 0)
        {
            return Encoding.UTF8.GetBytes(Media(stream, track, options, skip, uriQuery));
        }

        if ((skip ? track.RenderedDelta : track.Rendered) is { } cached && cached.StreamVersion == version)
        {
            return cached.Utf8;
        }

        var rendered = new RenderedPlaylist(version, Encoding.UTF8.GetBytes(Media(stream, track, options, skip)));
        if (skip)
        {
            track.RenderedDelta = rendered;
        }
        else
        {
            track.Rendered = rendered;
        }

        return rendered.Utf8;
    }

    /// <summary>
    /// A rendition's media playlist: the last <see cref="PackagingOptions.PlaylistSegments"/> complete
    /// segments, and with low latency on, the parts of the recent ones and of the segment in
    /// production, a preload hint for the next part, and reports on the other renditions.
    /// <paramref name="skip"/> asks for a delta update (EXT-X-SKIP).
    /// </summary>
    public static string Media(StreamOutput stream, TrackSnapshot track, PackagingOptions options, bool skip = false, string uriQuery = "")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(track);
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<CmafSegment> all = track.Segments;
        int first = Math.Max(0, all.Count - options.PlaylistSegments);
        double timescale = track.Config.Timescale;
        bool lowLatency = options.LowLatency && !track.Ended;
        double partTarget = PartTargetSeconds(track, options);
        double canSkipUntil = 6.0 * track.TargetDurationSeconds;

        // §4.4.5.2: segments whose end is more than CAN-SKIP-UNTIL before the end of the playlist
        // may be replaced by EXT-X-SKIP in a delta update.
        int skipped = 0;
        if (skip && lowLatency && all.Count > first)
        {
            long end = all[^1].Start + all[^1].Duration;
            while (first + skipped < all.Count && (end - (all[first + skipped].Start + all[first + skipped].Duration)) / timescale > canSkipUntil)
            {
                skipped++;
            }
        }

        var sb = new StringBuilder(2048);
        sb.Append("#EXTM3U\n");

        // Version 9 where EXT-X-SKIP is used (§4.4.5.2); 7 otherwise (fMP4 with EXT-X-MAP).
        sb.Append(skipped > 0 ? "#EXT-X-VERSION:9\n" : "#EXT-X-VERSION:7\n");

        // §4.4.3.1: "The EXTINF duration of each Media Segment in the Playlist file, when rounded to
        // the nearest integer, MUST be less than or equal to the target duration".
        sb.Append(Inv($"#EXT-X-TARGETDURATION:{track.TargetDurationSeconds}\n"));
        if (lowLatency)
        {
            // §4.4.3.8: PART-HOLD-BACK "MUST be at least three times the Part Target Duration";
            // CAN-SKIP-UNTIL "MUST be at least six times the Target Duration".
            sb.Append(Inv($"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL={canSkipUntil:F1},PART-HOLD-BACK={HoldBackParts * partTarget:F3}\n"));
            sb.Append(Inv($"#EXT-X-PART-INF:PART-TARGET={partTarget:F3}\n"));
        }

        // The header's sequence numbers are those of the first segment, skipped ones included (§4.4.5.2).
        CmafSegment? firstSegment = all.Count > first ? all[first] : track.Current;
        sb.Append(Inv($"#EXT-X-MEDIA-SEQUENCE:{firstSegment?.Sequence ?? 1}\n"));

        // §4.4.3.3: the Discontinuity Sequence Number of the first segment. The EXT-X-DISCONTINUITY tag of
        // a segment that became the first is dropped, and this number takes it over (§6.2.2: "If the server
        // removes an EXT-X-DISCONTINUITY tag from the Media Playlist, it MUST increment the value of the
        // EXT-X-DISCONTINUITY-SEQUENCE tag").
        sb.Append(Inv($"#EXT-X-DISCONTINUITY-SEQUENCE:{firstSegment?.DiscontinuitySequence ?? 0}\n"));
        if (track.Config.Kind == MediaKind.Video)
        {
            sb.Append("#EXT-X-INDEPENDENT-SEGMENTS\n");
        }

        // §4.4.4.5: EXT-X-MAP "applies to every Media Segment that appears after it in the Playlist until
        // the next EXT-X-MAP tag"; a codec config change brings the next one.
        InitSegment map = firstSegment?.Init ?? track.Init;
        sb.Append("#EXT-X-MAP:URI=\"").Append(map.Name).Append(uriQuery).Append("\"\n");
        if (skipped > 0)
        {
            sb.Append(Inv($"#EXT-X-SKIP:SKIPPED-SEGMENTS={skipped}\n"));
        }

        // §6.2.2: EXT-X-PART tags SHOULD be removed once more than three target durations from the end.
        long playlistEnd = track.Current is { } cur ? cur.Start + cur.Duration : all.Count > 0 ? all[^1].Start + all[^1].Duration : 0;
        long partsFrom = playlistEnd - (long)(3 * track.TargetDurationSeconds * timescale);
        // The first segment has no tag (the header numbers it); a skipped one still precedes the next (§4.4.5.2).
        CmafSegment? previous = skipped > 0 ? all[first + skipped - 1] : null;
        for (int i = first + skipped; i < all.Count; i++)
        {
            CmafSegment s = all[i];
            AppendSegmentTags(sb, s, previous, ref map, uriQuery);
            if (lowLatency && !track.Ended && s.Start + s.Duration > partsFrom)
            {
                AppendParts(sb, stream, s, timescale, uriQuery);
            }

            sb.Append(Inv($"#EXTINF:{s.Duration / timescale:F3},\n"));
            sb.Append(CmafNames.Segment(stream.Session, s.Sequence)).Append(uriQuery).Append('\n');
            previous = s;
        }

        if (track.Ended)
        {
            sb.Append("#EXT-X-ENDLIST\n");
            return sb.ToString();
        }

        if (lowLatency)
        {
            (long nextSequence, int nextPart) = (all.Count > 0 ? all[^1].Sequence + 1 : 1, 0);
            if (track.Current is { } current)
            {
                AppendSegmentTags(sb, current, previous, ref map, uriQuery);
                AppendParts(sb, stream, current, timescale, uriQuery);
                (nextSequence, nextPart) = (current.Sequence, current.Parts.Count);
            }

            // §4.4.5.3: the part being produced, so players can ask for it before it exists.
            sb.Append("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"").Append(CmafNames.Part(stream.Session, nextSequence, nextPart)).Append(uriQuery).Append("\"\n");
            foreach (TrackSnapshot other in stream.Tracks.Select(t => t.Snapshot).Where(t => t.Rendition != track.Rendition))
            {
                (long msn, int part) = other.LastPart();
                if (msn > 0)
                {
                    sb.Append(Inv($"#EXT-X-RENDITION-REPORT:URI=\"../{other.Rendition}/index.m3u8{uriQuery}\",LAST-MSN={msn},LAST-PART={part}\n"));
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>The tags before a segment's parts and URI: discontinuity, a new init segment, its date.</summary>
    private static void AppendSegmentTags(StringBuilder sb, CmafSegment segment, CmafSegment? previous, ref InitSegment map, string uriQuery)
    {
        // §4.4.4.3: EXT-X-DISCONTINUITY MUST be present where "file format, number, type, and identifiers
        // of tracks, timestamp sequence" or "encoding parameters" change: after a reconnect, a new sequence header.
        if (previous is not null && segment.DiscontinuitySequence != previous.DiscontinuitySequence)
        {
            sb.Append("#EXT-X-DISCONTINUITY\n");
        }

        if (!ReferenceEquals(segment.Init, map) && segment.Init.Name != map.Name)
        {
            map = segment.Init;
            sb.Append("#EXT-X-MAP:URI=\"").Append(map.Name).Append(uriQuery).Append("\"\n");
        }

        sb.Append("#EXT-X-PROGRAM-DATE-TIME:").Append(FormatDate(segment.ProgramDateTime)).Append('\n');
    }

    private static void AppendParts(StringBuilder sb, StreamOutput stream, CmafSegment segment, double timescale, string uriQuery)
    {
        foreach (CmafPart part in segment.Parts)
        {
            sb.Append(Inv($"#EXT-X-PART:DURATION={part.Duration / timescale:F3},URI=\"{CmafNames.Part(stream.Session, segment.Sequence, part.Index)}{uriQuery}\""));
            sb.Append(part.Independent ? ",INDEPENDENT=YES\n" : "\n");
        }
    }

    /// <summary>ISO 8601 with milliseconds and a Z, as EXT-X-PROGRAM-DATE-TIME wants it.</summary>
    public static string FormatDate(DateTimeOffset time)
        => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Peak and average bits per second: measured over the kept segments, else over the growing one, else a fallback.</summary>
    public static (long Peak, long Average) Bitrates(TrackSnapshot track, long fallback)
    {
        ArgumentNullException.ThrowIfNull(track);
        if (track.PeakBitrate > 0)
        {
            return (track.PeakBitrate, Math.Max(1, track.AverageBitrate));
        }

        if (track.Current is { Duration: > 0 } current)
        {
            long rate = current.ByteLength * 8L * track.Config.Timescale / current.Duration;
            return (rate, rate);
        }

        return (fallback, fallback);
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
