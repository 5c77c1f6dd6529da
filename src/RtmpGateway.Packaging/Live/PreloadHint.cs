namespace RtmpGateway.Packaging.Live;

/// <summary>What to do with a request for a part (an LL-HLS Partial Segment).</summary>
public enum PartAction
{
    /// <summary>Write <see cref="PartDecision.Part"/> now.</summary>
    Serve,

    /// <summary>The preload-hinted part, not made yet: hold the request, at most <see cref="PartDecision.Remaining"/>.</summary>
    Wait,

    /// <summary>404: the part is gone, was never hinted, or will not be made.</summary>
    NotFound,
}

/// <summary>A decision of <see cref="PreloadHint"/>; a <see cref="PartAction.Wait"/> is handed back to <see cref="PreloadHint.Recheck"/> on every change.</summary>
public sealed record PartDecision
{
    private PartDecision(PartAction action)
    {
        Action = action;
    }

    public PartAction Action { get; }

    /// <summary>Serve: the part, its bytes immutable.</summary>
    public CmafPart? Part { get; internal init; }

    /// <summary>Wait: the part's segment (Media Sequence Number).</summary>
    public long Sequence { get; internal init; }

    /// <summary>Wait: the part's index in its segment.</summary>
    public int Index { get; internal init; }

    /// <summary>Wait: the longest the request may be held in all, three target durations.</summary>
    public TimeSpan Limit { get; internal init; }

    /// <summary>Wait: how much of <see cref="Limit"/> is left.</summary>
    public TimeSpan Remaining { get; internal init; }

    internal static PartDecision Serve(CmafPart part) => new(PartAction.Serve) { Part = part };

    internal static PartDecision Wait(long sequence, int index, TimeSpan limit) =>
        new(PartAction.Wait) { Sequence = sequence, Index = index, Limit = limit, Remaining = limit };

    internal static PartDecision NotFound { get; } = new(PartAction.NotFound);
}

/// <summary>
/// RFC 8216bis §6.2.6 Providing Preload Hints, for part requests, as decisions over a rendition's
/// snapshot: serve a part that exists, hold one the playlist hints at, 404 for the rest.
/// </summary>
public static class PreloadHint
{
    /// <summary>
    /// Whether part <paramref name="index"/> of segment <paramref name="sequence"/> is the next one:
    /// the next part of the growing segment (the EXT-X-PRELOAD-HINT the playlist writes), or the
    /// first of the next segment, should the keyframe that cuts the segment come first.
    /// </summary>
    public static bool IsNext(TrackSnapshot track, long sequence, int index)
    {
        ArgumentNullException.ThrowIfNull(track);
        (long lastMsn, int lastPart) = track.LastPart();
        return (sequence == lastMsn && index == lastPart + 1) || (sequence == lastMsn + 1 && index == 0);
    }

    /// <summary>A request for part <paramref name="index"/> of segment <paramref name="sequence"/> as it arrives.</summary>
    public static PartDecision Decide(TrackSnapshot track, long sequence, int index)
    {
        ArgumentNullException.ThrowIfNull(track);
        if (Find(track, sequence, index) is { } part)
        {
            return PartDecision.Serve(part);
        }

        // "A hinted resource MUST be available for request when its EXT-X-PRELOAD-HINT tag is added
        // to the Playlist": the request is held until the part is complete (the server "MUST
        // refrain from transmitting any bytes belonging to a Partial Segment until all bytes of
        // that Partial Segment can be transmitted at the full speed of the link"). An ended
        // playlist has no preload hint (§4.4.5.3), and a position the track already passed
        // (HasPart: the segment was cut first) will never be made.
        if (!track.Ended && !track.HasPart(sequence, index) && IsNext(track, sequence, index))
        {
            return PartDecision.Wait(sequence, index, BlockingPlaylistReload.HoldLimit(track));
        }

        // "The server SHOULD respond with 'Not Found' (such as HTTP 404) to a request for a
        // resource that it cannot find and that is not specified by an EXT-X-PRELOAD-HINT tag in
        // an active Media Playlist."
        return PartDecision.NotFound;
    }

    /// <summary>
    /// A waiting request again, over the rendition's <paramref name="latest"/> snapshot (null when
    /// the rendition is gone), after it was held for <paramref name="held"/>. Any other decision is
    /// final and comes back as it is.
    /// </summary>
    public static PartDecision Recheck(TrackSnapshot? latest, PartDecision waiting, TimeSpan held)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        if (waiting.Action != PartAction.Wait)
        {
            return waiting;
        }

        if (latest is { } track && (track.Ended || track.HasPart(waiting.Sequence, waiting.Index)))
        {
            // Made, or never to be: "A server MAY choose not to publish previously-hinted resources
            // if the planned segmentation changes [...]. The server SHOULD respond to client
            // requests for those resources with 'Not Found' (such as HTTP 404)."
            return Find(track, waiting.Sequence, waiting.Index) is { } part ? PartDecision.Serve(part) : PartDecision.NotFound;
        }

        // The hint went stale: three target durations, as for a blocking playlist reload.
        return held >= waiting.Limit ? PartDecision.NotFound : waiting with { Remaining = waiting.Limit - held };
    }

    private static CmafPart? Find(TrackSnapshot track, long sequence, int index) =>
        track.FindSegment(sequence) is { } segment && index >= 0 && index < segment.Parts.Count ? segment.Parts[index] : null;
}
