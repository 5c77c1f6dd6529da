using RtmpGateway.Media;

namespace RtmpGateway.Hub;

/// <summary>
/// A track of a hub stream: the ingest's video ("source") and audio ("audio"), and each ladder rung
/// (by its rendition name, e.g. "720p"). A new config of a track is an event of its own.
/// </summary>
/// <param name="Rendition">The track's rendition name: <see cref="Source"/>, <see cref="Audio"/> or a rung's.</param>
/// <param name="Config">The codec config (avcC / hvcC / av1C / AudioSpecificConfig and what it says).</param>
/// <param name="FlvSequenceHeader">The sequence header as an FLV tag body, when the ingest sent one (RTMP): RTMP output relays it as it is.</param>
public sealed record HubTrack(string Rendition, CodecConfig Config, ReadOnlyMemory<byte> FlvSequenceHeader = default)
{
    public const string Source = "source";
    public const string Audio = "audio";

    /// <summary>The ingest's own tracks (not a ladder rung).</summary>
    public bool IsIngest => Rendition is Source or Audio;
}

/// <summary>
/// One access unit in the hub, made once by its producer and shared by every reader: on the
/// stream's timeline (64-bit ticks, continuous across publishes), with the wall clock of its arrival
/// and the pooled buffer its payload lives in. A reader may use it during the call that hands it
/// over; one that keeps it past that takes a reference (<see cref="Retain"/>, then <see cref="Release"/>).
/// </summary>
public sealed class HubFrame
{
    private object? _outputCache;

    public HubFrame(HubTrack track, in AccessUnit unit, DateTimeOffset receivedAt, MediaBuffer? buffer, ReadOnlyMemory<byte> flvTag = default, int publish = 1)
    {
        ArgumentNullException.ThrowIfNull(track);
        Track = track;
        Unit = unit;
        ReceivedAt = receivedAt;
        Buffer = buffer;
        FlvTag = flvTag;
        Publish = publish;
    }

    public HubTrack Track { get; }

    public AccessUnit Unit { get; }

    /// <summary>When the ingest received it (packaging anchors program date-time on it).</summary>
    public DateTimeOffset ReceivedAt { get; }

    /// <summary>What <see cref="Unit"/>'s payload (and <see cref="FlvTag"/>) live in; null for bytes that own themselves.</summary>
    public MediaBuffer? Buffer { get; }

    /// <summary>The FLV tag body as the publisher sent it, when the ingest is RTMP: RTMP output relays it without re-muxing.</summary>
    public ReadOnlyMemory<byte> FlvTag { get; }

    /// <summary>Which publish of the stream it came from (1, then one more per publisher that came back).</summary>
    public int Publish { get; }

    public string Rendition => Track.Rendition;

    public bool IsVideo => Unit.Kind == MediaKind.Video;

    public bool IsKeyframe => Unit.IsKeyframe;

    /// <summary>The bytes this frame counts against a reader's queue.</summary>
    public int Size => Buffer?.Length ?? Unit.Payload.Length;

    /// <summary>
    /// Bytes one kind of output derives from this frame and shares between all its readers (RTMP
    /// output: the message chunked once for every viewer). The first reader to make them stores them.
    /// </summary>
    public T GetOrAddOutput<T>(Func<HubFrame, T> make, Func<T, bool> fits)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(make);
        ArgumentNullException.ThrowIfNull(fits);
        if (Volatile.Read(ref _outputCache) is T cached && fits(cached))
        {
            return cached;
        }

        T made = make(this);
        Interlocked.CompareExchange(ref _outputCache, made, null);
        return made;
    }

    public void Retain() => Buffer?.AddRef();

    public void Release() => Buffer?.Release();
}
