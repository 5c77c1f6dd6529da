using RtmpGateway.Media;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Server.Streams;

/// <summary>
/// One published stream: its demuxed tracks for later stages, and the RTMP relay state (sequence
/// headers, metadata, the latest GOP) that lets a new RTMP viewer start on a keyframe.
/// The publisher's connection calls <see cref="OnMediaMessage"/> in order; viewers and subscribers
/// join from any thread.
/// </summary>
public sealed class LiveStream : IMediaSink
{
    private readonly Lock _gate = new();
    private readonly FlvDemuxer _demuxer;
    private readonly List<RelayMessage> _gop = [];

    /// <summary>Copied on change, so that the publisher sends to viewers outside the lock.</summary>
    private IRelayViewer[] _viewers = [];
    private readonly List<IStreamSubscriber> _subscribers = [];
    private readonly int _maxGopBytes;
    private long _gopBytes;
    private bool _gopValid;
    private bool _ended;
    private RelayMessage? _metadataMessage;
    private RelayMessage? _videoHeader;
    private RelayMessage? _audioHeader;

    /// <param name="maxTimestampJump">Where the publisher's timestamps count as a jump and are re-based (<see cref="TimelineRepair.MaxJump"/>).</param>
    public LiveStream(string app, string name, string publisherId, int maxGopBytes, TimeProvider time, TimeSpan? maxTimestampJump = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _demuxer = new FlvDemuxer(new TimelineRepair(maxTimestampJump ?? TimelineRepair.DefaultMaxJump, TimelineRepair.DefaultBackwardTolerance));
        App = app;
        Name = name;
        PublisherId = publisherId;
        _maxGopBytes = maxGopBytes;
        _time = time;
        StartedAt = time.GetUtcNow();
        LastReceivedAt = StartedAt;
    }

    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _endedTask = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When the publisher last sent media (or published): a stale publisher may be replaced.</summary>
    public DateTimeOffset LastReceivedAt { get; private set; }

    /// <summary>How long the publisher has sent nothing.</summary>
    public TimeSpan SilentFor => _time.GetUtcNow() - LastReceivedAt;

    /// <summary>Completes when the stream has ended.</summary>
    public Task Ended => _endedTask.Task;

    /// <summary>Set by the publisher's connection: closes it, so that a new publisher can take the name over.</summary>
    public Action<string>? EvictPublisher { get; set; }

    public string App { get; }

    public string Name { get; }

    /// <summary>The registry key: app and stream name.</summary>
    public string Key => StreamRegistry.KeyOf(App, Name);

    public string PublisherId { get; }

    /// <summary>Wall clock of the publish; later stages anchor program date-time on it.</summary>
    public DateTimeOffset StartedAt { get; }

    public CodecConfig? Video => _demuxer.Video;

    public CodecConfig? Audio => _demuxer.Audio;

    public StreamMetadata? Metadata { get; private set; }

    public long VideoFrames { get; private set; }

    public long AudioFrames { get; private set; }

    public long BytesReceived { get; private set; }

    public long DroppedBeforeConfig => _demuxer.DroppedBeforeConfig;

    public long TimestampRepairs { get; private set; }

    /// <summary>The newest unwrapped video DTS in milliseconds (for stats).</summary>
    public long LastVideoDtsMs { get; private set; }

    public int ViewerCount
    {
        get
        {
            lock (_gate)
            {
                return _viewers.Length;
            }
        }
    }

    /// <summary>Raised (on the publisher's thread) for each new or changed codec config, for logging.</summary>
    public event Action<LiveStream, CodecConfig>? TrackConfigured;

    /// <summary>Raised (on the publisher's thread) when a timestamp was clamped, for logging.</summary>
    public event Action<LiveStream, MediaKind, long, long>? TimestampRepaired;

    /// <summary>Raised (on the publisher's thread) when the publisher's clock jumped and a track was re-based, for logging.</summary>
    public event Action<LiveStream, MediaKind, long, long>? TimelineJumped;

    /// <summary>Jumps of the publisher's clock re-based so far.</summary>
    public long TimelineJumps { get; private set; }

    /// <summary>
    /// One audio or video message from the publisher. Throws <see cref="MediaFormatException"/> for
    /// media that ends this stream.
    /// </summary>
    public void OnMediaMessage(RtmpMessageType type, uint timestamp, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var message = new RelayMessage(type, timestamp, payload);
        IRelayViewer[] viewers;
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            BytesReceived += payload.Length;
            LastReceivedAt = _time.GetUtcNow();
            _demuxer.Demux(type == RtmpMessageType.Video ? FlvTagType.Video : FlvTagType.Audio, timestamp, payload, this);
            Remember(message);
            viewers = _viewers;
        }

        Relay(viewers, message);
    }

    /// <summary>
    /// Sends a message to each viewer on the publisher's thread. Outside the lock: a viewer's send
    /// may run socket code, and a viewer joining meanwhile gets this message from the GOP cache
    /// (it was remembered under the lock before the list was read).
    /// </summary>
    private static void Relay(IRelayViewer[] viewers, RelayMessage message)
    {
        foreach (IRelayViewer viewer in viewers)
        {
            viewer.Enqueue(message);
        }
    }

    /// <summary>onMetaData from the publisher (with @setDataFrame stripped), as relayed to viewers.</summary>
    public void OnMetadata(StreamMetadata metadata, byte[] onMetaDataBody, uint timestamp)
    {
        var message = new RelayMessage(RtmpMessageType.DataAmf0, timestamp, onMetaDataBody);
        IRelayViewer[] viewers;
        lock (_gate)
        {
            Metadata = metadata;
            _metadataMessage = message;
            viewers = _viewers;
            foreach (IStreamSubscriber s in _subscribers)
            {
                s.OnMetadata(this, metadata);
            }
        }

        Relay(viewers, message);
    }

    /// <summary>Adds an RTMP viewer: metadata, sequence headers and the cached GOP first, then live messages.</summary>
    public bool AddViewer(IRelayViewer viewer)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        lock (_gate)
        {
            if (_ended)
            {
                return false;
            }

            if (_metadataMessage is not null)
            {
                viewer.Enqueue(_metadataMessage);
            }

            if (_videoHeader is not null)
            {
                viewer.Enqueue(_videoHeader);
            }

            if (_audioHeader is not null)
            {
                viewer.Enqueue(_audioHeader);
            }

            if (_gopValid)
            {
                foreach (RelayMessage m in _gop)
                {
                    viewer.Enqueue(m);
                }
            }

            _viewers = [.. _viewers, viewer];
            return true;
        }
    }

    public void RemoveViewer(IRelayViewer viewer)
    {
        lock (_gate)
        {
            int i = Array.IndexOf(_viewers, viewer);
            if (i >= 0)
            {
                _viewers = [.. _viewers.AsSpan(0, i), .. _viewers.AsSpan(i + 1)];
            }
        }
    }

    /// <summary>Follows the stream's tracks: current configs and metadata at once, then every change and access unit.</summary>
    public IDisposable Subscribe(IStreamSubscriber subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        lock (_gate)
        {
            if (_demuxer.Video is { } v)
            {
                subscriber.OnCodecConfig(this, v);
            }

            if (_demuxer.Audio is { } a)
            {
                subscriber.OnCodecConfig(this, a);
            }

            if (Metadata is { } m)
            {
                subscriber.OnMetadata(this, m);
            }

            if (_ended)
            {
                subscriber.OnEnded(this);
            }
            else
            {
                _subscribers.Add(subscriber);
            }
        }

        return new Subscription(this, subscriber);
    }

    /// <summary>Why the publisher left (set when the stream ends).</summary>
    public StreamEndReason? EndReason { get; private set; }

    /// <summary>The publisher left: viewers and subscribers are told, and nothing more is accepted.</summary>
    public void End(StreamEndReason reason = StreamEndReason.ConnectionLost)
    {
        IRelayViewer[] viewers;
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            EndReason = reason;
            _endedTask.TrySetResult();
            viewers = _viewers;
            _viewers = [];
            foreach (IStreamSubscriber s in _subscribers)
            {
                s.OnEnded(this);
            }

            _subscribers.Clear();
            _gop.Clear();
        }

        foreach (IRelayViewer viewer in viewers)
        {
            viewer.OnPublisherEnded();
        }
    }

    void IMediaSink.OnCodecConfig(CodecConfig config)
    {
        TrackConfigured?.Invoke(this, config);
        foreach (IStreamSubscriber s in _subscribers)
        {
            s.OnCodecConfig(this, config);
        }
    }

    void IMediaSink.OnAccessUnit(in AccessUnit unit)
    {
        if (unit.Kind == MediaKind.Video)
        {
            VideoFrames++;
            LastVideoDtsMs = unit.Dts / 90;
        }
        else
        {
            AudioFrames++;
        }

        foreach (IStreamSubscriber s in _subscribers)
        {
            s.OnAccessUnit(this, unit);
        }
    }

    void IMediaSink.OnTimelineJump(MediaKind kind, long fromMs, long toMs)
    {
        TimelineJumps++;
        TimelineJumped?.Invoke(this, kind, fromMs, toMs);
    }

    void IMediaSink.OnTimestampRepaired(MediaKind kind, long fromMs, long toMs)
    {
        TimestampRepairs++;
        TimestampRepaired?.Invoke(this, kind, fromMs, toMs);
    }

    private void Remember(RelayMessage message)
    {
        if (message.IsSequenceHeader)
        {
            if (message.Type == RtmpMessageType.Video)
            {
                _videoHeader = message;
            }
            else
            {
                _audioHeader = message;
            }

            return;
        }

        if (message.IsVideoKeyframe)
        {
            _gop.Clear();
            _gopBytes = 0;
            _gopValid = true;
        }
        else if (!_gopValid)
        {
            // Audio before the first keyframe, or a GOP that outgrew the cache: new viewers wait.
            return;
        }

        _gop.Add(message);
        _gopBytes += message.Payload.Length;
        if (_gopBytes > _maxGopBytes)
        {
            _gop.Clear();
            _gopBytes = 0;
            _gopValid = false;
        }
    }

    private sealed class Subscription(LiveStream stream, IStreamSubscriber subscriber) : IDisposable
    {
        public void Dispose()
        {
            lock (stream._gate)
            {
                stream._subscribers.Remove(subscriber);
            }
        }
    }
}

/// <summary>How a publish ended.</summary>
public enum StreamEndReason
{
    /// <summary>The connection ended without an unpublish (dropped, timed out, closed by the server): the publisher may come back.</summary>
    ConnectionLost,

    /// <summary>The publisher said so (FCUnpublish, deleteStream, closeStream).</summary>
    Unpublished,
}
