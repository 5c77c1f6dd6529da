using System.Collections.Immutable;

namespace RtmpGateway.Packaging.Live;

/// <summary>
/// Everything the HTTP layer serves for one live stream: its tracks, the clock anchor that ties
/// media time to wall-clock time, and the signal raised on every change.
/// </summary>
public sealed class StreamOutput
{
    private ImmutableArray<TrackOutput> _tracks = [];
    private ImmutableArray<Discontinuity> _discontinuities = [];

    public StreamOutput(string app, string name, string session, DateTimeOffset publishedAt)
    {
        App = app;
        Name = name;
        Session = session;
        PublishedAt = publishedAt;
    }

    public string App { get; }

    public string Name { get; }

    /// <summary>A token unique to this publish, in every segment and init name, so a restarted stream never reuses a URL.</summary>
    public string Session { get; }

    public DateTimeOffset PublishedAt { get; }

    /// <summary>
    /// The wall clock at media time zero (first sample's wall clock minus its media time): the DASH
    /// availabilityStartTime, and the base of every EXT-X-PROGRAM-DATE-TIME. Set with the first sample.
    /// </summary>
    public DateTimeOffset? MediaTimeZero { get; internal set; }

    /// <summary>Set once the publisher is gone and the last segments are flushed.</summary>
    public DateTimeOffset? EndedAt { get; internal set; }

    /// <summary>
    /// Set while the publisher is gone but may come back (the reconnect grace period): the last
    /// segments are flushed, the playlists stay live and the MPD dynamic.
    /// </summary>
    public DateTimeOffset? SuspendedAt { get; internal set; }

    /// <summary>
    /// Where the timeline broke (reconnects, codec config changes), oldest first, the most recent
    /// <see cref="MaxDiscontinuities"/>: HLS writes EXT-X-DISCONTINUITY there, DASH starts a Period.
    /// </summary>
    public ImmutableArray<Discontinuity> Discontinuities => _discontinuities;

    /// <summary>How many <see cref="Discontinuities"/> are remembered (far more than a playlist window holds).</summary>
    public const int MaxDiscontinuities = 64;

    public ChangeSignal Changed { get; } = new();

    public ImmutableArray<TrackOutput> Tracks => _tracks;

    /// <summary>Video tracks (renditions), in the order they were added.</summary>
    public IEnumerable<TrackSnapshot> Video => _tracks.Select(t => t.Snapshot).Where(s => s.Config.Kind == Media.MediaKind.Video);

    public TrackSnapshot? Audio => _tracks.Select(t => t.Snapshot).FirstOrDefault(s => s.Config.Kind == Media.MediaKind.Audio);

    public TrackSnapshot? Find(string rendition) => _tracks.Select(t => t.Snapshot).FirstOrDefault(s => s.Rendition == rendition);

    /// <summary>The discontinuity with that discontinuity sequence number, if still remembered.</summary>
    public Discontinuity? FindDiscontinuity(long discontinuitySequence)
    {
        foreach (Discontinuity d in _discontinuities)
        {
            if (d.DiscontinuitySequence == discontinuitySequence)
            {
                return d;
            }
        }

        return null;
    }

    internal void AddDiscontinuity(Discontinuity discontinuity)
    {
        ImmutableInterlocked.Update(
            ref _discontinuities,
            (list, d) => list.Length < MaxDiscontinuities ? list.Add(d) : list.RemoveAt(0).Add(d),
            discontinuity);
    }

    internal void Add(TrackOutput track) => ImmutableInterlocked.Update(ref _tracks, (list, t) => list.Add(t), track);

    internal void Remove(TrackOutput track) => ImmutableInterlocked.Update(ref _tracks, (list, t) => list.Remove(t), track);
}

/// <summary>Why the timeline of a stream broke.</summary>
public enum DiscontinuityReason
{
    /// <summary>The publisher came back within the reconnect grace period.</summary>
    Reconnect,

    /// <summary>A new sequence header (e.g. another resolution) mid-stream.</summary>
    CodecConfig,
}

/// <summary>
/// A break in a stream's timeline: segment <paramref name="Sequence"/> is the first after it, and has
/// discontinuity sequence number <paramref name="DiscontinuitySequence"/>. <paramref name="MediaTime"/>
/// is where that segment starts, from <see cref="StreamOutput.MediaTimeZero"/>: a DASH Period's start.
/// </summary>
public sealed record Discontinuity(long Sequence, long DiscontinuitySequence, TimeSpan MediaTime, DiscontinuityReason Reason);
