using System.Collections.Concurrent;

namespace RtmpGateway.Hub;

/// <summary>The hub's settings (the server binds them from its configuration).</summary>
public sealed record HubOptions
{
    /// <summary>A publisher whose connection dropped may come back this long and continue the same timeline.</summary>
    public TimeSpan ReconnectGrace { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The latest GOP kept for readers that start at a keyframe; a longer GOP is not kept.</summary>
    public long MaxGopBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Streams with a publisher at once; one more publish is refused.</summary>
    public int MaxStreams { get; init; } = int.MaxValue;

    /// <summary>How long a publish's end waits for its derived tracks (the ladder) to deliver their last frames.</summary>
    public TimeSpan DerivedFlushTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>What the hub tells about its streams; the one way to learn of them.</summary>
public enum HubNotificationKind
{
    /// <summary>A publish began: <see cref="HubNotification.Publish"/> 1 for a new stream, more for a publisher back within the grace.</summary>
    Published,

    /// <summary>A track was added or its codec config changed.</summary>
    TrackChanged,

    /// <summary>The publisher dropped; the stream waits the grace for it.</summary>
    Interrupted,

    /// <summary>The stream is over.</summary>
    Ended,
}

public sealed record HubNotification(HubNotificationKind Kind, HubStream Stream, int Publish, HubTrack? Track);

/// <summary>Why <see cref="StreamHub.TryPublish"/> refused a publish.</summary>
public enum PublishRefusal
{
    None,

    /// <summary>The name has a publisher already.</summary>
    NameInUse,

    /// <summary><see cref="HubOptions.MaxStreams"/> streams have publishers.</summary>
    TooManyStreams,
}

/// <summary>
/// The gateway's streams by app and name. Every ingest publishes here and every output reads from
/// here; <see cref="Notified"/> tells who needs to know when a stream is published, changes tracks,
/// is interrupted or ends. Notifications are raised on the thread that caused them (Published and
/// TrackChanged synchronously, before the first frame reaches any reader; Interrupted and Ended from
/// the thread pool): a handler must not block.
/// </summary>
public sealed class StreamHub
{
    private readonly ConcurrentDictionary<string, HubStream> _streams = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _slots;

    /// <param name="stopping">
    /// Cancelled when the gateway begins to shut down (before any of its stopping callbacks runs):
    /// from then on a publisher whose connection closes ends its stream instead of starting a grace.
    /// </param>
    public StreamHub(TimeProvider time, HubOptions? options = null, CancellationToken stopping = default)
    {
        Time = time ?? throw new ArgumentNullException(nameof(time));
        Options = options ?? new HubOptions();
        Stopping = stopping;
    }

    public CancellationToken Stopping { get; }

    public TimeProvider Time { get; }

    public HubOptions Options { get; }

    /// <summary>Raised for every <see cref="HubNotificationKind"/>; see the class remarks for the threads.</summary>
    public event Action<HubNotification>? Notified;

    public static string KeyOf(string app, string name) => app + "/" + name;

    /// <summary>Streams with a publisher now.</summary>
    public IReadOnlyCollection<HubStream> Streams => [.. _streams.Values.Where(s => s.Publisher is not null)];

    /// <summary>Streams not ended yet, with a publisher or waiting for one.</summary>
    public IReadOnlyCollection<HubStream> AllStreams => [.. _streams.Values];

    /// <summary>The stream of that name while it has a publisher.</summary>
    public HubStream? Find(string app, string name)
        => _streams.TryGetValue(KeyOf(app, name), out HubStream? s) && s.Publisher is not null ? s : null;

    /// <summary>
    /// Claims app/name for a publisher: a new stream, or the same one continued when its publisher
    /// dropped within the grace. False with the reason when the name has a publisher (it keeps
    /// running; <paramref name="existing"/> is that stream) or too many streams have one.
    /// </summary>
    public bool TryPublish(string app, string name, string publisherId, out StreamPublisher? publisher, out HubStream? existing, out PublishRefusal refusal)
    {
        publisher = null;
        existing = null;
        string key = KeyOf(app, name);
        lock (_gate)
        {
            if (_streams.TryGetValue(key, out HubStream? stream) && stream.Publisher is not null)
            {
                existing = stream;
                refusal = PublishRefusal.NameInUse;
                return false;
            }

            if (_slots >= Options.MaxStreams)
            {
                refusal = PublishRefusal.TooManyStreams;
                return false;
            }

            DateTimeOffset now = Time.GetUtcNow();
            if (stream is not null)
            {
                publisher = new StreamPublisher(this, stream, stream.Publish + 1, publisherId, now);
                if (!stream.StartPublish(publisher))
                {
                    publisher = null;
                }
            }

            if (publisher is null)
            {
                stream = new HubStream(this, app, name, now);
                _streams[key] = stream;
                publisher = new StreamPublisher(this, stream, 1, publisherId, now);
                stream.StartPublish(publisher);
            }

            _slots++;
        }

        refusal = PublishRefusal.None;
        Notify(new HubNotification(HubNotificationKind.Published, publisher.Stream, publisher.Number, null));
        return true;
    }

    /// <summary>Ends every stream (the gateway is shutting down): no grace, no waiting for ladders.</summary>
    public void EndAll()
    {
        foreach (HubStream stream in _streams.Values)
        {
            stream.EndNow(HubEndReason.Shutdown);
        }
    }

    internal void ReleaseSlot(HubStream stream)
    {
        lock (_gate)
        {
            _slots--;
        }
    }

    /// <summary>Called with the stream's lock held: takes no lock of the hub's.</summary>
    internal void Remove(HubStream stream) => _streams.TryRemove(new KeyValuePair<string, HubStream>(stream.Key, stream));

    internal void Notify(HubNotification notification) => Notified?.Invoke(notification);

    /// <summary>From under a stream's lock: raised on the thread pool, so no handler runs under it.</summary>
    internal void NotifyLater(HubNotification notification)
        => ThreadPool.UnsafeQueueUserWorkItem(static s => s.Hub.Notify(s.Notification), (Hub: this, Notification: notification), preferLocal: false);
}
