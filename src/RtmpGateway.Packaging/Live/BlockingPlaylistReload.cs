using System.Globalization;

namespace RtmpGateway.Packaging.Live;

/// <summary>
/// The Delivery Directives of a media playlist request (RFC 8216bis §6.2.5): "Query parameters
/// for Playlist requests that begin with the string _HLS_ are reserved by this specification.
/// Currently-defined Delivery Directives are _HLS_skip, _HLS_msn and _HLS_part."
/// </summary>
/// <param name="Msn">_HLS_msn: the Media Sequence Number the playlist must reach; null when absent.</param>
/// <param name="Part">_HLS_part: the Part Index within <paramref name="Msn"/>; null when absent.</param>
/// <param name="Skip">_HLS_skip=YES or v2: a Playlist Delta Update is asked for.</param>
public readonly record struct DeliveryDirectives(long? Msn, int? Part, bool Skip)
{
    /// <summary>
    /// Parses the directives' query values as sent (null when the parameter is absent). False when
    /// _HLS_msn or _HLS_part is not a decimal-integer, or _HLS_part comes without _HLS_msn.
    /// </summary>
    public static bool TryParse(string? msn, string? part, string? skip, out DeliveryDirectives directives)
    {
        directives = default;
        long? wantedMsn = null;
        if (msn is not null)
        {
            // §6.2.5.2: "_HLS_msn=<M>" where M is a decimal-integer: digits only, no sign, no blanks.
            if (!long.TryParse(msn, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            {
                return false;
            }

            wantedMsn = value;
        }

        int? wantedPart = null;
        if (part is not null)
        {
            // "If the Playlist URI contains an _HLS_part directive but no _HLS_msn directive, the
            // Server MUST return Bad Request, such as HTTP 400."
            if (wantedMsn is null || !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
            {
                return false;
            }

            wantedPart = value;
        }

        // §6.2.5.1: "an _HLS_skip directive whose value is YES or v2".
        directives = new DeliveryDirectives(wantedMsn, wantedPart, skip is "YES" or "v2");
        return true;
    }
}

/// <summary>What to do with a media playlist request.</summary>
public enum PlaylistAction
{
    /// <summary>Write the playlist now (a delta update when <see cref="PlaylistDecision.Skip"/>).</summary>
    Serve,

    /// <summary>
    /// No segment yet: wait, as long as the server chooses, for the first one rather than answer an
    /// empty playlist; then serve whatever there is. Not a blocking reload: the spec sets no limit.
    /// </summary>
    AwaitFirstSegment,

    /// <summary>§6.2.5.2 Blocking Playlist Reload: hold the request until the segment (or part) exists, at most <see cref="PlaylistDecision.Remaining"/>.</summary>
    Block,

    /// <summary>400: malformed directives, or a segment or part too far ahead of the live edge (<see cref="PlaylistDecision.Problem"/> says which).</summary>
    BadRequest,

    /// <summary>503: the blocked-for segment or part did not come within three target durations.</summary>
    ServiceUnavailable,
}

/// <summary>
/// A decision of <see cref="BlockingPlaylistReload"/>. A <see cref="PlaylistAction.Block"/> is
/// handed back to <see cref="BlockingPlaylistReload.Recheck"/> on every change of the output.
/// </summary>
public sealed record PlaylistDecision
{
    private PlaylistDecision(PlaylistAction action)
    {
        Action = action;
    }

    public PlaylistAction Action { get; }

    /// <summary>Serve a Playlist Delta Update (EXT-X-SKIP) rather than the whole playlist.</summary>
    public bool Skip { get; internal init; }

    /// <summary>Block: the Media Sequence Number the playlist must reach.</summary>
    public long Msn { get; internal init; }

    /// <summary>Block: the Part Index within <see cref="Msn"/>; null to wait for the whole segment.</summary>
    public int? Part { get; internal init; }

    /// <summary>Block: the longest a request may be held in all, three target durations of the playlist it was asked of.</summary>
    public TimeSpan Limit { get; internal init; }

    /// <summary>Block: how much of <see cref="Limit"/> is left.</summary>
    public TimeSpan Remaining { get; internal init; }

    /// <summary>BadRequest: what was wrong, for the response body.</summary>
    public string? Problem { get; internal init; }

    // The common answers made once: most playlist requests are served at once.
    private static readonly PlaylistDecision ServeWhole = new(PlaylistAction.Serve);
    private static readonly PlaylistDecision ServeDelta = new(PlaylistAction.Serve) { Skip = true };
    private static readonly PlaylistDecision AwaitWhole = new(PlaylistAction.AwaitFirstSegment);
    private static readonly PlaylistDecision AwaitDelta = new(PlaylistAction.AwaitFirstSegment) { Skip = true };

    internal static PlaylistDecision Serve(bool skip) => skip ? ServeDelta : ServeWhole;

    internal static PlaylistDecision AwaitFirstSegment(bool skip) => skip ? AwaitDelta : AwaitWhole;

    internal static PlaylistDecision Block(long msn, int? part, bool skip, TimeSpan limit) =>
        new(PlaylistAction.Block) { Msn = msn, Part = part, Skip = skip, Limit = limit, Remaining = limit };

    internal static PlaylistDecision BadRequest(string problem) => new(PlaylistAction.BadRequest) { Problem = problem };

    internal static PlaylistDecision ServiceUnavailable { get; } = new(PlaylistAction.ServiceUnavailable);
}

/// <summary>
/// RFC 8216bis §6.2.5.2 Blocking Playlist Reload, as decisions over a rendition's snapshot: serve
/// now, block (until what, for how long), 400 or 503. No clock: the caller says how long it held.
/// </summary>
public static class BlockingPlaylistReload
{
    public const string MalformedDirectives = "_HLS_msn must be a number; _HLS_part needs _HLS_msn";

    public const string TooFarAhead = "_HLS_msn/_HLS_part too far ahead of the live edge";

    /// <summary>
    /// "The Advance Part Limit is three divided by the Part Target Duration if the Part Target
    /// Duration is less than one second, or three otherwise" (rounded up to whole parts).
    /// </summary>
    public static int AdvancePartLimit(TimeSpan partTarget) =>
        partTarget < TimeSpan.FromSeconds(1) ? (int)Math.Ceiling(3 / partTarget.TotalSeconds) : 3;

    /// <summary>
    /// The longest a blocked request is held: "A Server that cannot provide the requested Playlist
    /// after blocking for more than three Target Durations SHOULD return Service Unavailable, such
    /// as HTTP 503."
    /// </summary>
    public static TimeSpan HoldLimit(TrackSnapshot track)
    {
        ArgumentNullException.ThrowIfNull(track);
        return TimeSpan.FromSeconds(3 * track.TargetDurationSeconds);
    }

    /// <summary>A request as it arrives, with its _HLS_msn, _HLS_part and _HLS_skip query values (null when absent).</summary>
    public static PlaylistDecision Decide(TrackSnapshot track, string? msn, string? part, string? skip, PackagingOptions options)
    {
        if (!DeliveryDirectives.TryParse(msn, part, skip, out DeliveryDirectives directives))
        {
            return PlaylistDecision.BadRequest(MalformedDirectives);
        }

        return Decide(track, directives, options);
    }

    /// <summary>A request as it arrives, with its directives parsed.</summary>
    public static PlaylistDecision Decide(TrackSnapshot track, DeliveryDirectives directives, PackagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(track);
        ArgumentNullException.ThrowIfNull(options);

        // §6.2.5.1: "A Server MUST ignore the _HLS_skip directive if the Playlist does not contain
        // the CAN-SKIP-UNTIL attribute, or if it contains an EXT-X-ENDLIST tag." CAN-SKIP-UNTIL is
        // written for low-latency playlists only.
        bool skip = directives.Skip && options.LowLatency && !track.Ended;
        if (directives.Msn is not { } msn || !options.LowLatency)
        {
            // Without CAN-BLOCK-RELOAD (LowLatency off) there is nothing to block for.
            return track.Segments.Count > 0 || track.Ended ? PlaylistDecision.Serve(skip) : PlaylistDecision.AwaitFirstSegment(skip);
        }

        // "A Server MUST ignore _HLS_msn and _HLS_part if the Playlist contains an EXT-X-ENDLIST tag."
        if (track.Ended)
        {
            return PlaylistDecision.Serve(skip: false);
        }

        // "If the _HLS_msn is greater than the Media Sequence Number of the last Media Segment in
        // the current Playlist plus two, or if the _HLS_part exceeds the last Partial Segment in the
        // current Playlist by the Advance Part Limit, then the server SHOULD immediately return Bad
        // Request, such as HTTP 400." The last Media Segment is the one of the newest part (the
        // number a rendition report's LAST-MSN gives, §4.4.5.4); parts are counted within it.
        (long lastMsn, int lastPart) = track.LastPart();
        if (msn > lastMsn + 2 || (directives.Part is { } p && msn == lastMsn && p > lastPart + AdvancePartLimit(options.PartTarget)))
        {
            return PlaylistDecision.BadRequest(TooFarAhead);
        }

        // "The Server MUST deliver the entire Playlist, even if the requested Media Segment is not
        // the last one in the Playlist, and even if it is no longer in the Playlist."
        if (track.HasPart(msn, directives.Part))
        {
            return PlaylistDecision.Serve(skip);
        }

        // "When the Playlist URI contains an _HLS_msn directive and no _HLS_part directive, the
        // Server MUST defer responding to the request until the Playlist contains a Media Segment
        // with a Media Sequence Number of M or later or it responds with an error." With _HLS_part,
        // until it "contains the Partial Segment with Part Index N and with a Media Sequence Number
        // of M or later".
        return PlaylistDecision.Block(msn, directives.Part, skip, HoldLimit(track));
    }

    /// <summary>
    /// A waiting request again, over the rendition's <paramref name="latest"/> snapshot (null when the
    /// rendition is gone), after it was held for <paramref name="held"/>. Any other decision is final
    /// and comes back as it is.
    /// </summary>
    public static PlaylistDecision Recheck(TrackSnapshot? latest, PlaylistDecision waiting, TimeSpan held)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        switch (waiting.Action)
        {
            case PlaylistAction.AwaitFirstSegment:
                return latest is { } t && (t.Segments.Count > 0 || t.Ended) ? PlaylistDecision.Serve(waiting.Skip && !t.Ended) : waiting;
            case PlaylistAction.Block:
                // An EXT-X-ENDLIST ends every wait: the directives are then ignored (above).
                if (latest is { } track && (track.Ended || track.HasPart(waiting.Msn, waiting.Part)))
                {
                    return PlaylistDecision.Serve(waiting.Skip && !track.Ended);
                }

                // "after blocking for more than three Target Durations SHOULD return Service Unavailable".
                return held >= waiting.Limit ? PlaylistDecision.ServiceUnavailable : waiting with { Remaining = waiting.Limit - held };
            default:
                return waiting;
        }
    }
}
