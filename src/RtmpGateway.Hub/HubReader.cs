using RtmpGateway.Media;

namespace RtmpGateway.Hub;

/// <summary>How much one reader may fall behind before it drops to the next keyframe.</summary>
public sealed record HubReaderLimits
{
    /// <summary>Frames waiting in the queue (about 10 s of 30 fps video and its audio).</summary>
    public int MaxQueuedFrames { get; init; } = 1024;

    /// <summary>Bytes waiting in the queue (frames are shared, so this is what the reader pins in memory).</summary>
    public long MaxQueuedBytes { get; init; } = 16L * 1024 * 1024;
}

/// <summary>
/// One output of a hub stream (the packager, the ladder, an RTMP viewer, a recorder...), with its own
/// bounded queue and its own worker: the producer's thread only enqueues (or, for an
/// <see cref="RunsInline"/> reader with nothing queued, delivers at once), and nothing a reader does
/// can hold up the producer or another reader.
/// <para>A reader whose queue is full drops what is queued and every later frame until the next
/// keyframe of each video rendition it reads (audio resumes with the source video), and counts
/// them (<see cref="DroppedFrames"/>). Track, metadata and life-cycle events are never dropped.</para>
/// <para>Calls into the reader (the <c>On...</c> methods) come one at a time, in the order the
/// stream produced them; on the thread-pool worker, or inline on the producer's thread. A call that
/// throws closes the reader (<see cref="OnFaulted"/>); the stream goes on.</para>
/// <para>Lock order: the stream's lock, then a reader's queue lock; no reader code runs under either.</para>
/// </summary>
public abstract class HubReader : IThreadPoolWorkItem
{
    /// <summary>Items handed to the reader per turn on the thread pool before it yields to other work.</summary>
    private const int MaxItemsPerTurn = 256;

    private readonly Lock _gate = new();
    private readonly Queue<HubItem> _queue = new();
    private readonly HashSet<string> _resumed = new(StringComparer.Ordinal);
    private readonly HashSet<string> _videoRenditions = new(StringComparer.Ordinal);
    private long _queuedBytes;
    private int _queuedFrames;
    private bool _running;
    private bool _skipping;
    private bool _closed;
    private long _droppedFrames;
    private long _dropEvents;
    private long _deliveredFrames;

    protected HubReader(string kind, HubReaderLimits? limits = null)
    {
        Kind = kind;
        Limits = limits ?? new HubReaderLimits();
    }

    /// <summary>What kind of output this is ("packager", "ladder", "rtmp", ...): for stats and counts.</summary>
    public string Kind { get; }

    public HubReaderLimits Limits { get; }

    /// <summary>The stream this reader reads (set when it is added).</summary>
    public HubStream? Stream { get; internal set; }

    /// <summary>
    /// Delivered on the producer's thread while nothing is queued: for a reader whose every call is
    /// quick and never blocks (the RTMP relay's one non-blocking send per viewer), this saves a thread
    /// hand-off per frame. Anything queued (a join's replay, a backlog) goes through the worker first.
    /// </summary>
    protected virtual bool RunsInline => false;

    /// <summary>Which tracks this reader reads; all by default.</summary>
    public virtual bool Reads(HubTrack track) => true;

    /// <summary>
    /// Where the reader sits in the stream's fan-out, lowest first. A reader that produces tracks of
    /// its own from what it reads (the ladder) goes last, so that every other reader has a frame
    /// before anything derived from it.
    /// </summary>
    public virtual int FanOutOrder => 0;

    /// <summary>Frames dropped because the reader fell behind.</summary>
    public long DroppedFrames => Interlocked.Read(ref _droppedFrames);

    /// <summary>Times the reader fell behind and dropped to the next keyframe.</summary>
    public long DropEvents => Interlocked.Read(ref _dropEvents);

    public long DeliveredFrames => Interlocked.Read(ref _deliveredFrames);

    public int QueuedFrames => Volatile.Read(ref _queuedFrames);

    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>A track's config: the current ones when the reader is added, then each new one.</summary>
    protected abstract void OnTrack(HubTrack track);

    protected abstract void OnFrame(HubFrame frame);

    protected virtual void OnMetadata(HubMetadata metadata)
    {
    }

    /// <summary>A publish started: 1 for the first, one more for each publisher that came back within the grace.</summary>
    protected virtual void OnPublished(int publish)
    {
    }

    /// <summary>The publisher of <paramref name="publish"/> left (its derived tracks may still deliver).</summary>
    protected virtual void OnPublishEnded(int publish, HubEndReason reason)
    {
    }

    /// <summary>The stream waits for its publisher to come back; everything of the last publish (derived tracks too) came before.</summary>
    protected virtual void OnInterrupted()
    {
    }

    /// <summary>The stream ended, or the reader was removed from it; nothing follows.</summary>
    protected virtual void OnEnded()
    {
    }

    /// <summary>A call threw: the reader is closed. Runs on the thread of that call.</summary>
    protected virtual void OnFaulted(Exception exception)
    {
    }

    /// <summary>Removes the reader from its stream; what is queued is dropped, <see cref="OnEnded"/> follows.</summary>
    public void Close()
    {
        if (Stream is { } stream)
        {
            stream.RemoveReader(this);
        }
        else
        {
            Post(HubItem.EndedItem, queueOnly: false);
        }
    }

    /// <summary>Hands an item over: at once (inline), or through the queue and the worker.</summary>
    internal void Post(HubItem item, bool queueOnly)
    {
        bool inline = false;
        bool schedule = false;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if (item.Kind == HubItemKind.Frame && !Admit(item.Frame!))
            {
                return;
            }

            if (item.Kind == HubItemKind.Ended)
            {
                // Nothing after the end: what is still queued goes on, then the end.
                _closed = true;
            }

            if (!queueOnly && RunsInline && !_running && _queue.Count == 0)
            {
                _running = true;
                inline = true;
            }
            else
            {
                Enqueue(item);
                if (!_running)
                {
                    _running = true;
                    schedule = true;
                }
            }
        }

        if (inline)
        {
            Deliver(item);
            bool more;
            lock (_gate)
            {
                more = _queue.Count > 0;
                _running = more;
            }

            if (more)
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }
        else if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>With the gate held: whether a frame goes in, dropping to the next keyframe when the queue is full.</summary>
    private bool Admit(HubFrame frame)
    {
        if (frame.IsVideo)
        {
            _videoRenditions.Add(frame.Rendition);
        }

        if (!_skipping && (_queuedFrames >= Limits.MaxQueuedFrames || _queuedBytes + frame.Size > Limits.MaxQueuedBytes))
        {
            DropQueuedFrames();
            _skipping = true;
            _resumed.Clear();
            _dropEvents++;
        }

        if (!_skipping)
        {
            return true;
        }

        if (frame.IsVideo)
        {
            if (frame.IsKeyframe)
            {
                _resumed.Add(frame.Rendition);
            }
        }
        else if (_resumed.Contains(HubTrack.Source) || !_videoRenditions.Contains(HubTrack.Source))
        {
            // Audio resumes with the source video (or at once without one).
            return true;
        }

        if (!_resumed.Contains(frame.Rendition))
        {
            Interlocked.Increment(ref _droppedFrames);
            return false;
        }

        if (_resumed.IsSupersetOf(_videoRenditions))
        {
            _skipping = false;
        }

        return true;
    }

    private void DropQueuedFrames()
    {
        int count = _queue.Count;
        for (int i = 0; i < count; i++)
        {
            HubItem queued = _queue.Dequeue();
            if (queued.Kind == HubItemKind.Frame)
            {
                queued.Frame!.Release();
                Interlocked.Increment(ref _droppedFrames);
            }
            else
            {
                _queue.Enqueue(queued);
            }
        }

        _queuedFrames = 0;
        Interlocked.Exchange(ref _queuedBytes, 0);
    }

    private void Enqueue(HubItem item)
    {
        if (item.Kind == HubItemKind.Frame)
        {
            item.Frame!.Retain();
            _queuedFrames++;
            Interlocked.Add(ref _queuedBytes, item.Frame.Size);
        }

        _queue.Enqueue(item);
    }

    /// <summary>
    /// Queues an item without starting anything (a join's replay, with the stream's lock held);
    /// <see cref="Pump"/> starts the delivery once the lock is released.
    /// </summary>
    internal void PostQueued(HubItem item)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            if (item.Kind == HubItemKind.Frame && !Admit(item.Frame!))
            {
                return;
            }

            Enqueue(item);
        }
    }

    /// <summary>
    /// Delivers what <see cref="PostQueued"/> left: on this thread for an inline reader (so a reader
    /// added before a stream's first frame is inline from that frame on, and the packager keeps up
    /// with a publisher that sends faster than real time), else on the pool. Nothing if a delivery
    /// runs already.
    /// </summary>
    internal void Pump()
    {
        lock (_gate)
        {
            if (_running || _queue.Count == 0)
            {
                return;
            }

            _running = true;
        }

        if (RunsInline)
        {
            Drain(int.MaxValue);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>The worker: drains the queue on a thread-pool thread, a turn at a time.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (Drain(MaxItemsPerTurn))
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Delivers up to <paramref name="max"/> queued items, in order; true if more are left (still running).</summary>
    private bool Drain(int max)
    {
        for (int i = 0; i < max; i++)
        {
            HubItem item;
            lock (_gate)
            {
                if (!_queue.TryDequeue(out item))
                {
                    _running = false;
                    return false;
                }

                if (item.Kind == HubItemKind.Frame)
                {
                    _queuedFrames--;
                    Interlocked.Add(ref _queuedBytes, -item.Frame!.Size);
                }
            }

            try
            {
                Deliver(item);
            }
            finally
            {
                if (item.Kind == HubItemKind.Frame)
                {
                    item.Frame!.Release();
                }
            }
        }

        return true;
    }

    private bool _faulted;

    private void Deliver(in HubItem item)
    {
        if (_faulted)
        {
            return;
        }

        try
        {
            switch (item.Kind)
            {
                case HubItemKind.Track:
                    OnTrack(item.Track!);
                    break;
                case HubItemKind.Frame:
                    Interlocked.Increment(ref _deliveredFrames);
                    OnFrame(item.Frame!);
                    break;
                case HubItemKind.Metadata:
                    OnMetadata(item.Metadata!);
                    break;
                case HubItemKind.Published:
                    OnPublished(item.Publish);
                    break;
                case HubItemKind.PublishEnded:
                    OnPublishEnded(item.Publish, item.Reason);
                    break;
                case HubItemKind.Interrupted:
                    OnInterrupted();
                    break;
                case HubItemKind.Ended:
                    OnEnded();
                    break;
            }
        }
#pragma warning disable CA1031 // One reader's failure closes that reader only; it says why through OnFaulted.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _faulted = true;
            OnFaulted(ex);
            Stream?.RemoveReader(this);
        }
    }
}

/// <summary>onMetaData as the publisher sent it: what it says, and its AMF0 body for RTMP output.</summary>
public sealed record HubMetadata(StreamMetadata Metadata, ReadOnlyMemory<byte> Amf0Body);

/// <summary>How a publish ended.</summary>
public enum HubEndReason
{
    /// <summary>The connection ended without an unpublish (dropped, timed out, closed by the server): the publisher may come back.</summary>
    ConnectionLost,

    /// <summary>The publisher said so (FCUnpublish, deleteStream, closeStream).</summary>
    Unpublished,

    /// <summary>The gateway is shutting down.</summary>
    Shutdown,
}

internal enum HubItemKind
{
    Track,
    Frame,
    Metadata,
    Published,
    PublishEnded,
    Interrupted,
    Ended,
}

/// <summary>One entry of a reader's queue.</summary>
internal readonly record struct HubItem(HubItemKind Kind, HubFrame? Frame = null, HubTrack? Track = null, HubMetadata? Metadata = null, int Publish = 0, HubEndReason Reason = HubEndReason.ConnectionLost)
{
    public static readonly HubItem EndedItem = new(HubItemKind.Ended);
    public static readonly HubItem InterruptedItem = new(HubItemKind.Interrupted);
}
