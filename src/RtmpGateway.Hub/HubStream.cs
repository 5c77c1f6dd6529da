using RtmpGateway.Media;

namespace RtmpGateway.Hub;

/// <summary>Where a hub stream is in its life.</summary>
public enum HubStreamState
{
    /// <summary>A publisher feeds it.</summary>
    Live,

    /// <summary>The publisher dropped; it may come back within the grace and continue the same timeline.</summary>
    Interrupted,

    /// <summary>Over: nothing more is written or read.</summary>
    Ended,
}

/// <summary>
/// One stream of the hub under its public name: its tracks (the ingest's, and the ladder's rungs),
/// its metadata, the latest GOP for readers that start at a keyframe, its readers, and the timeline
/// across publishes. Producers write through a <see cref="StreamPublisher"/> (the ingest) or a
/// <see cref="DerivedWriter"/> (the ladder); each write is handed to every reader without a copy.
/// <para>Lock order: <see cref="StreamHub"/>'s lock, then this stream's, then a reader's queue lock.
/// Under this stream's lock only its own state changes and readers' queues are appended to
/// (replay on join); frames are handed to readers outside it, from a snapshot of the readers.</para>
/// </summary>
public sealed class HubStream
{
    private readonly Lock _gate = new();
    private readonly StreamHub _hub;
    private readonly List<HubFrame> _gop = [];
    private readonly TimelineRemap _timeline = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HubReader[] _readers = [];
    private HubTrack[] _tracks = [];
    private long _gopBytes;
    private bool _gopValid;
    private int _openDerived;
    private Action? _afterDerived;
    private bool _acceptDerived;
    private long _videoFrames;
    private long _audioFrames;
    private long _bytesReceived;

    internal HubStream(StreamHub hub, string app, string name, DateTimeOffset now)
    {
        _hub = hub;
        App = app;
        Name = name;
        CreatedAt = now;
    }

    public string App { get; }

    public string Name { get; }

    /// <summary>"app/name".</summary>
    public string Key => StreamHub.KeyOf(App, Name);

    /// <summary>When the first publish began.</summary>
    public DateTimeOffset CreatedAt { get; }

    public HubStreamState State { get; private set; }

    /// <summary>Why it ended (once <see cref="State"/> is Ended).</summary>
    public HubEndReason? EndReason { get; private set; }

    /// <summary>Completes when the stream has ended.</summary>
    public Task Ended => _ended.Task;

    /// <summary>The publish feeding it now; null while interrupted or ended.</summary>
    public StreamPublisher? Publisher { get; private set; }

    /// <summary>The number of the current (or last) publish: 1, then one more per publisher that came back.</summary>
    public int Publish { get; private set; }

    /// <summary>The tracks as they are now (ingest and rungs), one per rendition.</summary>
    public IReadOnlyList<HubTrack> Tracks => Volatile.Read(ref _tracks);

    public CodecConfig? Video => Track(HubTrack.Source)?.Config;

    public CodecConfig? Audio => Track(HubTrack.Audio)?.Config;

    public HubMetadata? Metadata { get; private set; }

    public long VideoFrames => Interlocked.Read(ref _videoFrames);

    public long AudioFrames => Interlocked.Read(ref _audioFrames);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public IReadOnlyList<HubReader> Readers => Volatile.Read(ref _readers);

    public HubTrack? Track(string rendition)
    {
        foreach (HubTrack t in Volatile.Read(ref _tracks))
        {
            if (t.Rendition == rendition)
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>Readers of one kind ("rtmp", ...) now.</summary>
    public int CountReaders(string kind)
    {
        int n = 0;
        foreach (HubReader r in Volatile.Read(ref _readers))
        {
            n += r.Kind == kind ? 1 : 0;
        }

        return n;
    }

    /// <summary>
    /// Adds a reader: it gets the current publish, tracks and metadata, with <paramref name="fromLatestKeyframe"/>
    /// the frames since the latest source keyframe, then everything live. False once the stream ended.
    /// An inline reader gets that replay on the caller's thread before this returns (an RTMP viewer's
    /// GOP on its own connection's thread), others on the pool.
    /// </summary>
    public bool AddReader(HubReader reader, bool fromLatestKeyframe = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        lock (_gate)
        {
            if (State == HubStreamState.Ended || reader.Stream is not null)
            {
                return false;
            }

            reader.Stream = this;
            if (Publish > 0)
            {
                reader.PostQueued(new HubItem(HubItemKind.Published, Publish: Publish));
            }

            foreach (HubTrack track in _tracks)
            {
                if (reader.Reads(track))
                {
                    reader.PostQueued(new HubItem(HubItemKind.Track, Track: track));
                }
            }

            if (Metadata is { } metadata)
            {
                reader.PostQueued(new HubItem(HubItemKind.Metadata, Metadata: metadata));
            }

            if (fromLatestKeyframe && _gopValid)
            {
                foreach (HubFrame frame in _gop)
                {
                    if (reader.Reads(frame.Track))
                    {
                        reader.PostQueued(new HubItem(HubItemKind.Frame, frame));
                    }
                }
            }

            HubReader[] readers = [.. _readers, reader];
            Array.Sort(readers, static (a, b) => a.FanOutOrder.CompareTo(b.FanOutOrder));
            _readers = readers;
        }

        // The replay goes out outside the lock: on this thread for an inline reader, else on the pool.
        reader.Pump();
        return true;
    }

    /// <summary>Removes a reader; its queue is dropped after <see cref="HubReader.OnEnded"/> is queued.</summary>
    public void RemoveReader(HubReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        lock (_gate)
        {
            int i = Array.IndexOf(_readers, reader);
            if (i >= 0)
            {
                _readers = [.. _readers.AsSpan(0, i), .. _readers.AsSpan(i + 1)];
            }
        }

        reader.Post(HubItem.EndedItem, queueOnly: false);
    }

    // ----- producers (StreamPublisher, DerivedWriter) -----

    /// <summary>Starts a publish, with the hub's lock held; false if the stream has ended meanwhile.</summary>
    internal bool StartPublish(StreamPublisher publisher)
    {
        HubReader[] readers;
        lock (_gate)
        {
            // A previous publish still waiting for its ladder to flush is over now.
            RunAfterDerived();
            if (State == HubStreamState.Ended)
            {
                return false;
            }

            _acceptDerived = true;
            _openDerived = 0;
            Publisher = publisher;
            Publish = publisher.Number;
            State = HubStreamState.Live;
            _timeline.Resume();
            readers = _readers;
        }

        Post(readers, new HubItem(HubItemKind.Published, Publish: publisher.Number), null);
        return true;
    }

    private bool IsCurrent(int publish) => Publish == publish && Publisher is not null;

    internal void SetTrack(int publish, HubTrack track, bool derived)
    {
        HubReader[] readers;
        bool changed;
        lock (_gate)
        {
            if (derived ? !_acceptDerived || Publish != publish : !IsCurrent(publish))
            {
                return;
            }

            int i = Array.FindIndex(_tracks, t => t.Rendition == track.Rendition);
            changed = i < 0 || !_tracks[i].Config.SameRecord(track.Config);
            HubTrack[] tracks = [.. _tracks];
            if (i < 0)
            {
                tracks = [.. tracks, track];
            }
            else
            {
                tracks[i] = track;
            }

            Volatile.Write(ref _tracks, tracks);
            readers = _readers;
        }

        if (changed)
        {
            Post(readers, new HubItem(HubItemKind.Track, Track: track), track);
            _hub.Notify(new HubNotification(HubNotificationKind.TrackChanged, this, publish, track));
        }
    }

    internal void SetMetadata(int publish, HubMetadata metadata)
    {
        HubReader[] readers;
        lock (_gate)
        {
            if (!IsCurrent(publish))
            {
                return;
            }

            Metadata = metadata;
            readers = _readers;
        }

        Post(readers, new HubItem(HubItemKind.Metadata, Metadata: metadata), null);
    }

    /// <summary>An ingest frame: mapped onto the stream's timeline, kept in the GOP cache, handed to every reader.</summary>
    internal void WriteIngest(int publish, HubTrack track, in AccessUnit unit, DateTimeOffset receivedAt, MediaBuffer? buffer, ReadOnlyMemory<byte> flvTag)
    {
        HubFrame frame;
        HubReader[] readers;
        lock (_gate)
        {
            if (!IsCurrent(publish))
            {
                return;
            }

            frame = new HubFrame(track, _timeline.Map(track.Rendition, unit, receivedAt), receivedAt, buffer, flvTag, publish);
            Remember(frame);
            readers = _readers;
        }

        if (frame.IsVideo)
        {
            Interlocked.Increment(ref _videoFrames);
        }
        else
        {
            Interlocked.Increment(ref _audioFrames);
        }

        Interlocked.Add(ref _bytesReceived, frame.Size);
        Post(readers, new HubItem(HubItemKind.Frame, frame), track);
    }

    /// <summary>A frame derived from the stream (a rung's), already on its timeline.</summary>
    internal void WriteDerived(int publish, HubTrack track, in AccessUnit unit, DateTimeOffset receivedAt)
    {
        HubReader[] readers;
        lock (_gate)
        {
            if (!_acceptDerived || Publish != publish)
            {
                return;
            }

            readers = _readers;
        }

        Post(readers, new HubItem(HubItemKind.Frame, new HubFrame(track, unit, receivedAt, null, default, publish)), track);
    }

    /// <summary>
    /// A producer of tracks derived from publish <paramref name="publish"/> (the ladder); see
    /// <see cref="StreamPublisher.OpenDerived"/>. Once that publish is over, what it writes is ignored.
    /// </summary>
    public DerivedWriter OpenDerived(int publish)
    {
        lock (_gate)
        {
            if (publish == Publish)
            {
                _openDerived++;
            }
        }

        return new DerivedWriter(this, publish);
    }

    internal void CloseDerived(int publish)
    {
        lock (_gate)
        {
            // Only the current publish's producers count; an older one's are over already. A producer
            // that stops while its publish goes on (a ladder that failed) leaves nothing pending.
            if (Publish == publish && --_openDerived == 0 && _afterDerived is not null)
            {
                RunAfterDerived();
            }
        }
    }

    /// <summary>
    /// The publisher left. Readers are told at once (the ladder flushes, RTMP viewers end); the stream
    /// is interrupted or ends once every derived track of the publish has delivered its last frames
    /// (or after the hub's flush timeout).
    /// </summary>
    internal void EndPublish(StreamPublisher publisher, HubEndReason reason, TimeSpan grace, TimeSpan flushTimeout)
    {
        HubReader[] readers;
        lock (_gate)
        {
            if (Publisher != publisher)
            {
                return;
            }

            Publisher = null;
            ReleaseGop();
            readers = _readers;
        }

        _hub.ReleaseSlot(this);
        Post(readers, new HubItem(HubItemKind.PublishEnded, Publish: publisher.Number, Reason: reason), null);
        bool interrupt = reason == HubEndReason.ConnectionLost && grace > TimeSpan.Zero;
        lock (_gate)
        {
            if (State != HubStreamState.Live || Publish != publisher.Number)
            {
                return;
            }

            if (interrupt)
            {
                State = HubStreamState.Interrupted;
            }

            _afterDerived = interrupt ? () => Interrupt(grace) : () => End(reason);
            if (_openDerived == 0 || reason == HubEndReason.Shutdown)
            {
                RunAfterDerived();
            }
            else
            {
                _ = FlushTimeoutAsync(publisher.Number, flushTimeout);
            }
        }
    }

    private async Task FlushTimeoutAsync(int publish, TimeSpan timeout)
    {
        await Task.Delay(timeout, _hub.Time).ConfigureAwait(false);
        lock (_gate)
        {
            if (Publish == publish)
            {
                RunAfterDerived();
            }
        }
    }

    /// <summary>With the lock held: runs the pending step after a publish (interrupt or end), once.</summary>
    private void RunAfterDerived()
    {
        _acceptDerived = false;
        Action? next = _afterDerived;
        _afterDerived = null;
        next?.Invoke();
    }

    /// <summary>With the lock held.</summary>
    private void Interrupt(TimeSpan grace)
    {
        Post(_readers, HubItem.InterruptedItem, null, queueOnly: true);
        _ = EndAfterGraceAsync(Publish, grace);
        _hub.NotifyLater(new HubNotification(HubNotificationKind.Interrupted, this, Publish, null));
    }

    /// <summary>A publish that came back meanwhile has another number: then this does nothing.</summary>
    private async Task EndAfterGraceAsync(int publish, TimeSpan grace)
    {
        await Task.Delay(grace, _hub.Time).ConfigureAwait(false);
        lock (_gate)
        {
            if (Publish == publish && State == HubStreamState.Interrupted)
            {
                End(HubEndReason.ConnectionLost);
            }
        }
    }

    /// <summary>Ends the stream now, whatever its state (shutdown, or an interrupted stream's grace ran out).</summary>
    internal void EndNow(HubEndReason reason)
    {
        StreamPublisher? publisher;
        lock (_gate)
        {
            publisher = Publisher;
        }

        if (publisher is not null)
        {
            publisher.End(reason);
        }

        lock (_gate)
        {
            _afterDerived = null;
            End(reason);
        }
    }

    /// <summary>With the lock held.</summary>
    private void End(HubEndReason reason)
    {
        if (State == HubStreamState.Ended)
        {
            return;
        }

        State = HubStreamState.Ended;
        EndReason = reason;
        ReleaseGop();
        HubReader[] readers = _readers;
        _readers = [];
        Post(readers, HubItem.EndedItem, null, queueOnly: true);
        _hub.Remove(this);
        _ended.TrySetResult();
        _hub.NotifyLater(new HubNotification(HubNotificationKind.Ended, this, Publish, null));
    }

    /// <summary>Hands an item to each reader that reads its track; <paramref name="queueOnly"/> with the lock held (no reader code runs).</summary>
    private static void Post(HubReader[] readers, HubItem item, HubTrack? track, bool queueOnly = false)
    {
        foreach (HubReader reader in readers)
        {
            if (track is null || reader.Reads(track))
            {
                reader.Post(item, queueOnly);
            }
        }
    }

    /// <summary>With the lock held: the GOP cache, for readers that start at the latest keyframe (RTMP viewers).</summary>
    private void Remember(HubFrame frame)
    {
        if (frame.IsVideo && frame.IsKeyframe)
        {
            ReleaseGop();
            _gopValid = true;
        }
        else if (!_gopValid)
        {
            // Audio before the first keyframe, or a GOP that outgrew the cache: joining readers wait.
            return;
        }

        frame.Retain();
        _gop.Add(frame);
        _gopBytes += frame.Size;
        if (_gopBytes > _hub.Options.MaxGopBytes)
        {
            ReleaseGop();
        }
    }

    private void ReleaseGop()
    {
        foreach (HubFrame f in _gop)
        {
            f.Release();
        }

        _gop.Clear();
        _gopBytes = 0;
        _gopValid = false;
    }
}
