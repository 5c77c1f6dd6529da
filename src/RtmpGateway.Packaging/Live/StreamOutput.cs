using System.Collections.Immutable;

namespace RtmpGateway.Packaging.Live;

/// <summary>
/// Everything the HTTP layer serves for one live stream: its tracks, the clock anchor that ties
/// media time to wall-clock time, and the signal raised on every change.
/// </summary>
public sealed class StreamOutput
{
    private ImmutableArray<TrackOutput> _tracks = [];

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

    public ChangeSignal Changed { get; } = new();

    public ImmutableArray<TrackOutput> Tracks => _tracks;

    /// <summary>Video tracks (renditions), in the order they were added.</summary>
    public IEnumerable<TrackSnapshot> Video => _tracks.Select(t => t.Snapshot).Where(s => s.Config.Kind == Media.MediaKind.Video);

    public TrackSnapshot? Audio => _tracks.Select(t => t.Snapshot).FirstOrDefault(s => s.Config.Kind == Media.MediaKind.Audio);

    public TrackSnapshot? Find(string rendition) => _tracks.Select(t => t.Snapshot).FirstOrDefault(s => s.Rendition == rendition);

    internal void Add(TrackOutput track) => ImmutableInterlocked.Update(ref _tracks, (list, t) => list.Add(t), track);

    internal void Remove(TrackOutput track) => ImmutableInterlocked.Update(ref _tracks, (list, t) => list.Remove(t), track);
}
