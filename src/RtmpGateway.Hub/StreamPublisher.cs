using RtmpGateway.Media;

namespace RtmpGateway.Hub;

/// <summary>
/// One publish of a hub stream: what an ingest (an RTMP connection, and next RTMPS, SRT, a pull
/// relay) writes through. Calls come from the ingest's thread, in order, and never wait: each is
/// handed to the stream's readers (queued, or delivered inline by a reader that never blocks).
/// </summary>
public sealed class StreamPublisher
{
    private readonly StreamHub _hub;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _videoFrames;
    private long _audioFrames;
    private long _bytesReceived;
    private long _lastReceivedTicks;

    internal StreamPublisher(StreamHub hub, HubStream stream, int number, string publisherId, DateTimeOffset now)
    {
        _hub = hub;
        Stream = stream;
        Number = number;
        PublisherId = publisherId;
        StartedAt = now;
        _lastReceivedTicks = now.UtcTicks;
    }

    public HubStream Stream { get; }

    /// <summary>Which publish of the stream this is: 1, then one more per publisher that came back within the grace.</summary>
    public int Number { get; }

    /// <summary>The ingest connection's id (for logs).</summary>
    public string PublisherId { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Closes the ingest (set by it), so that a new publisher can take the name over.</summary>
    public Action<string>? Evict { get; set; }

    /// <summary>Completes when this publish has ended.</summary>
    public Task Ended => _ended.Task;

    public long VideoFrames => Interlocked.Read(ref _videoFrames);

    public long AudioFrames => Interlocked.Read(ref _audioFrames);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Frames the ingest could not use: sent before their track's codec config (set by the ingest).</summary>
    public long DroppedBeforeConfig { get; set; }

    /// <summary>How long the publisher has sent nothing: a silent one may be replaced (a dead connection not noticed yet).</summary>
    public TimeSpan SilentFor => _hub.Time.GetUtcNow() - new DateTimeOffset(Interlocked.Read(ref _lastReceivedTicks), TimeSpan.Zero);

    /// <summary>A new or changed codec config of one of the ingest's tracks.</summary>
    public void SetTrack(HubTrack track)
    {
        ArgumentNullException.ThrowIfNull(track);
        Stream.SetTrack(Number, track, derived: false);
    }

    public void SetMetadata(HubMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        Stream.SetMetadata(Number, metadata);
    }

    /// <summary>
    /// One access unit of an ingest track, on the publisher's timeline (the hub maps it onto the
    /// stream's). <paramref name="buffer"/> stays the caller's: every reader that keeps the frame
    /// takes its own reference, so the caller releases its own after the call. The bytes it came in
    /// are counted by <see cref="Received"/>, once per ingest message.
    /// </summary>
    public void Write(HubTrack track, in AccessUnit unit, DateTimeOffset receivedAt, MediaBuffer? buffer, ReadOnlyMemory<byte> flvTag = default)
    {
        ArgumentNullException.ThrowIfNull(track);
        Interlocked.Increment(ref unit.Kind == MediaKind.Video ? ref _videoFrames : ref _audioFrames);
        Stream.WriteIngest(Number, track, unit, receivedAt, buffer, flvTag);
    }

    /// <summary>One message the ingest received (media, sequence header or metadata): its bytes, and the publisher is not silent.</summary>
    public void Received(int bytes, DateTimeOffset receivedAt)
    {
        Interlocked.Exchange(ref _lastReceivedTicks, receivedAt.UtcTicks);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    /// <summary>
    /// A producer of tracks derived from this publish (the ladder): its tracks and frames join the
    /// stream beside the ingest's. The stream's interruption or end waits for it to be disposed (its
    /// last frames delivered), up to the hub's flush timeout.
    /// </summary>
    public DerivedWriter OpenDerived() => Stream.OpenDerived(Number);

    /// <summary>The publisher left; <paramref name="reason"/> says whether it may come back.</summary>
    public void End(HubEndReason reason)
    {
        if (_hub.Stopping.IsCancellationRequested)
        {
            reason = HubEndReason.Shutdown;
        }

        Stream.EndPublish(this, reason, _hub.Options.ReconnectGrace, _hub.Options.DerivedFlushTimeout);
        _ended.TrySetResult();
    }
}

/// <summary>Writes tracks derived from one publish (a ladder's rungs) into the stream; from any one thread at a time per track.</summary>
public sealed class DerivedWriter : IDisposable
{
    private readonly HubStream _stream;
    private int _disposed;

    internal DerivedWriter(HubStream stream, int publish)
    {
        _stream = stream;
        Publish = publish;
    }

    public int Publish { get; }

    public HubStream Stream => _stream;

    public void SetTrack(HubTrack track)
    {
        ArgumentNullException.ThrowIfNull(track);
        _stream.SetTrack(Publish, track, derived: true);
    }

    /// <summary>A frame already on the stream's timeline (a rung encoded with the source's decode times).</summary>
    public void Write(HubTrack track, in AccessUnit unit, DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(track);
        _stream.WriteDerived(Publish, track, unit, receivedAt);
    }

    /// <summary>The producer is done: the stream may now be interrupted or end.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stream.CloseDerived(Publish);
        }
    }
}
