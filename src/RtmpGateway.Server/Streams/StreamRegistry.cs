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

    public static string KeyOf(string app, string name) => app + "/" + name;

    /// <summary>Claims app/name for a publisher; false if it is live already (the live one keeps running).</summary>
    public bool TryPublish(string app, string name, string publisherId, int maxGopBytes, out LiveStream stream)
    {
        var candidate = new LiveStream(app, name, publisherId, maxGopBytes, _time, _maxTimestampJump);
        if (!_streams.TryAdd(candidate.Key, candidate))
        {
            // The live one (it may just have ended: then the caller was still refused, and may retry).
            stream = _streams.TryGetValue(candidate.Key, out LiveStream? live) ? live : candidate;
            return false;
        }

        stream = candidate;
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
            stream.End(reason);
            Unpublished?.Invoke(stream);
        }
    }
}
