using RtmpGateway.Media;

namespace RtmpGateway.Packaging.Live;

/// <summary>What readers see of one track at one instant. Immutable.</summary>
public sealed class TrackSnapshot
{
    public TrackSnapshot(
        string rendition,
        InitSegment init,
        IReadOnlyList<CmafSegment> segments,
        CmafSegment? current,
        bool ended,
        int targetDurationSeconds,
        long peakBitrate,
        long averageBitrate,
        long version)
    {
        Rendition = rendition;
        Init = init;
        Segments = segments;
        Current = current;
        Ended = ended;
        TargetDurationSeconds = targetDurationSeconds;
        PeakBitrate = peakBitrate;
        AverageBitrate = averageBitrate;
        Version = version;
    }

    /// <summary>The rendition's path segment: "source" for the passthrough video, "audio" for audio.</summary>
    public string Rendition { get; }

    /// <summary>The current codec config (the one of the next segment).</summary>
    public CodecConfig Config => Init.Config;

    /// <summary>The current CMAF header (ftyp + moov); segments made before a config change name an older one.</summary>
    public InitSegment Init { get; }

    /// <summary>File name of the current init segment, unique per publish and codec config so caches never mix them up.</summary>
    public string InitName => Init.Name;

    /// <summary>Completed segments still kept, oldest first.</summary>
    public IReadOnlyList<CmafSegment> Segments { get; }

    /// <summary>The segment being produced, with its parts so far (null between segments or after the end).</summary>
    public CmafSegment? Current { get; }

    public bool Ended { get; }

    /// <summary>EXT-X-TARGETDURATION: never less than any segment's rounded duration, and never going down.</summary>
    public int TargetDurationSeconds { get; }

    /// <summary>Highest segment bitrate in the kept window, bits per second (0 before the first segment).</summary>
    public long PeakBitrate { get; }

    /// <summary>Bitrate over the kept window, bits per second.</summary>
    public long AverageBitrate { get; }

    /// <summary>Increases with every change.</summary>
    public long Version { get; }

    /// <summary>This snapshot's media playlist as last rendered (a reference, so read and replaced whole by any thread).</summary>
    internal RenderedPlaylist? Rendered { get; set; }

    /// <summary>The same for the delta update (_HLS_skip).</summary>
    internal RenderedPlaylist? RenderedDelta { get; set; }

    /// <summary>The newest part: its segment's sequence and index (0, -1 before the first one).</summary>
    public (long Sequence, int Part) LastPart()
    {
        if (Current is { Parts.Count: > 0 } current)
        {
            return (current.Sequence, current.Parts.Count - 1);
        }

        return Segments.Count > 0 ? (Segments[^1].Sequence, Segments[^1].Parts.Count - 1) : (0, -1);
    }

    /// <summary>
    /// Whether part <paramref name="part"/> of segment <paramref name="sequence"/> exists (a part
    /// index past the end of a completed segment means the next segment's first part, §6.2.5.2).
    /// Without a part, whether the segment is complete.
    /// </summary>
    public bool HasPart(long sequence, int? part)
    {
        if (FindSegment(sequence) is not { } segment)
        {
            return Segments.Count > 0 && sequence < Segments[0].Sequence;
        }

        if (part is not { } index)
        {
            return segment.IsComplete;
        }

        if (index < segment.Parts.Count)
        {
            return true;
        }

        return segment.IsComplete && FindSegment(sequence + 1) is { Parts.Count: > 0 };
    }

    /// <summary>The init segment of that name: the current one, or one a kept segment still decodes with.</summary>
    public InitSegment? FindInit(string name)
    {
        if (Init.Name == name)
        {
            return Init;
        }

        for (int i = Segments.Count - 1; i >= 0; i--)
        {
            if (Segments[i].Init.Name == name)
            {
                return Segments[i].Init;
            }
        }

        return null;
    }

    public CmafSegment? FindSegment(long sequence)
    {
        if (Segments.Count == 0 || sequence < Segments[0].Sequence)
        {
            return Current?.Sequence == sequence ? Current : null;
        }

        long index = sequence - Segments[0].Sequence;
        return index < Segments.Count ? Segments[(int)index] : Current?.Sequence == sequence ? Current : null;
    }
}

/// <summary>
/// One track's output: a single writer (the packager, on the publisher's thread) replaces the
/// snapshot; any number of readers take it. Memory is bounded by the retained segment count.
/// </summary>
public sealed class TrackOutput
{
    private TrackSnapshot _snapshot;

    public TrackOutput(TrackSnapshot initial)
    {
        _snapshot = initial;
    }

    public TrackSnapshot Snapshot => Volatile.Read(ref _snapshot);

    internal void Publish(TrackSnapshot snapshot) => Volatile.Write(ref _snapshot, snapshot);
}

/// <summary>A media playlist's UTF-8 bytes and the stream's change count (<see cref="ChangeSignal.Version"/>) read before they were rendered.</summary>
internal sealed record RenderedPlaylist(long StreamVersion, byte[] Utf8);
