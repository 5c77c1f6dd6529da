using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using RtmpGateway.Packaging.Live;

namespace RtmpGateway.Server.Streams;

/// <summary>The live streams of this gateway by app and name; later stages learn of streams here.</summary>
public sealed class StreamRegistry
{
    private readonly ConcurrentDictionary<string, LiveStream> _streams = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxTimestampJump;
    private int _slots;

    public StreamRegistry(TimeProvider time, IOptions<PackagingOptions> packaging)
    {
        ArgumentNullException.ThrowIfNull(packaging);
        _time = time;
        _maxTimestampJump = packaging.Value.MaxTimestampJump;
    }

    /// <summary>Raised after a stream went live (on the publisher's thread).</summary>
    public event Action<LiveStream>? Published;

    /// <summary>Raised after a stream ended.</summary>
    public event Action<LiveStream>? Unpublished;

    public ICollection<LiveStream> Streams => _streams.Values;

    /// <summary>Streams live at once (Rtmp:MaxLiveStreams); a publish beyond it is refused.</summary>
    public int MaxStreams { get; init; } = int.MaxValue;

    public static string KeyOf(string app, string name) => app + "/" + name;

    /// <summary>
    /// Claims app/name for a publisher; false with the reason if it is live already (the live one
    /// keeps running) or <see cref="MaxStreams"/> are live.
    /// </summary>
    public bool TryPublish(string app, string name, string publisherId, int maxGopBytes, out LiveStream stream, out PublishRefusal refusal)
    {
        var candidate = new LiveStream(app, name, publisherId, maxGopBytes, _time, _maxTimestampJump);

        // A slot first, so that concurrent publishes can never go past the limit together.
        if (Interlocked.Increment(ref _slots) > MaxStreams)
        {
            Interlocked.Decrement(ref _slots);
            stream = candidate;
            refusal = PublishRefusal.TooManyStreams;
            return false;
        }

        if (!_streams.TryAdd(candidate.Key, candidate))
        {
            Interlocked.Decrement(ref _slots);

            // The live one (it may just have ended: then the caller was still refused, and may retry).
            stream = _streams.TryGetValue(candidate.Key, out LiveStream? live) ? live : candidate;
            refusal = PublishRefusal.NameInUse;
            return false;
        }

        stream = candidate;
        refusal = PublishRefusal.None;
        Published?.Invoke(stream);
        return true;
    }

    public LiveStream? Find(string app, string name) => _streams.TryGetValue(KeyOf(app, name), out LiveStream? s) ? s : null;

    /// <summary>Ends the stream and frees its name; <paramref name="reason"/> tells later stages whether the publisher meant it.</summary>
    public void Unpublish(LiveStream stream, StreamEndReason reason = StreamEndReason.ConnectionLost)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (_streams.TryRemove(new KeyValuePair<string, LiveStream>(stream.Key, stream)))
        {
            Interlocked.Decrement(ref _slots);
            stream.End(reason);
            Unpublished?.Invoke(stream);
        }
    }
}

/// <summary>Why <see cref="StreamRegistry.TryPublish"/> refused a publish.</summary>
public enum PublishRefusal
{
    None,

    /// <summary>The name is being published already.</summary>
    NameInUse,

    /// <summary><see cref="StreamRegistry.MaxStreams"/> streams are live.</summary>
    TooManyStreams,
}
