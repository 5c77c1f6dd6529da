using RtmpGateway.Media;

namespace RtmpGateway.Packaging.Live;

/// <summary>Why a segment was cut somewhere other than at a keyframe after the target.</summary>
public enum ForcedCutReason
{
    /// <summary>No keyframe arrived within <see cref="PackagingOptions.MaxSegmentDuration"/>.</summary>
    RunawayGop,
}

/// <summary>
/// Packages one live stream's source rendition into CMAF, once, for both HLS and DASH.
/// The video track decides where segments begin (a keyframe at or after the target duration) and
/// where its parts begin; the audio track is cut at the same instants, so segment N and part N.k of
/// every track cover the same interval. To know those instants, audio waits until the video has
/// passed its time (publishers interleave audio a little ahead of video). A stream without video
/// is cut by time. Calls come in order from one thread at a time (the packager's hub reader).
/// <para>One output can outlive its publisher: <see cref="Suspend"/> when the publisher drops,
/// <see cref="Resume"/> when it (or another one) comes back to the same name. The playlists continue:
/// sequence numbers go on, the new publisher's timestamps arrive mapped onto the same timeline by the
/// hub (after the old one, at the wall clock of its first sample), and the first new segment starts
/// after a discontinuity, as it does after a codec config change.</para>
/// </summary>
public sealed class StreamPackager
{
    public const string SourceRendition = "source";
    public const string AudioRendition = "audio";

    /// <summary>How far audio may run ahead of a stalled video before it is packaged without waiting.</summary>
    private const long MaxAudioHold90k = 90_000;

    /// <summary>
    /// Video segment and part starts kept for the audio to follow. Audio consumes them as it passes
    /// them; when it stops coming (a video-only publish, an audio track gone quiet) the oldest go:
    /// 256 are two minutes of 0.5 s parts, far more than audio lags video before the timeline is re-based.
    /// </summary>
    private const int MaxVideoStartsKept = 256;

    private readonly StreamOutput _output;
    private readonly PackagingOptions _options;
    private readonly Queue<Boundary> _videoBoundaries = new();
    private readonly Queue<long> _videoPartStarts90k = new();
    private readonly Queue<AccessUnit> _heldAudio = new();
    private long? _videoTime90k;
    private long _lastHeldAudio90k;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Rung> _rungs = new(StringComparer.Ordinal);

    // The source's recent segment starts, for ladder rungs that join after the first ones.
    private readonly Queue<Boundary> _recentBoundaries = new();
    private TrackSegmenter? _video;
    private TrackSegmenter? _audio;
    private long _nextSequence = 1;
    private DateTimeOffset? _lastReceived;

    // Discontinuities: the number of the current one, and the reason for the next one (taken by the next segment).
    private long _discontinuitySequence;
    private DiscontinuityReason? _pendingDiscontinuity;

    // Publishes: which one feeds the output now, and whether it is away.
    private int _publish = 1;
    private bool _suspended;

    public StreamPackager(StreamOutput output, PackagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _output = output;
        _options = options;
    }

    public StreamOutput Output => _output;

    /// <summary>Which publish feeds the output: 1 for the first, one more after each <see cref="Resume"/>.</summary>
    public int Publish
    {
        get
        {
            lock (_gate)
            {
                return _publish;
            }
        }
    }

    /// <summary>Raised when a segment had to be cut without a keyframe (the caller logs it).</summary>
    public event Action<StreamOutput, ForcedCutReason, long>? ForcedCut;

    public void OnCodecConfig(CodecConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_gate)
        {
            OnCodecConfigLocked(config);
        }
    }

    private void OnCodecConfigLocked(CodecConfig config)
    {
        DateTimeOffset zero = _output.MediaTimeZero ?? _output.PublishedAt;
        DateTimeOffset now = _lastReceived ?? _output.PublishedAt;
        if (config.Kind == MediaKind.Video)
        {
            if (_video is null)
            {
                _video = new TrackSegmenter(_output, SourceRendition, config, _options);
            }
            else if (!_video.Config.SameRecord(config))
            {
                // RFC 8216bis 4.4.4.3: EXT-X-DISCONTINUITY MUST be present on a change of "encoding
                // parameters"; the segment in production ends, the next starts with the new init segment.
                MarkDiscontinuity(DiscontinuityReason.CodecConfig);
                _video.ChangeConfig(config, zero, now);
            }
        }
        else if (_audio is null)
        {
            _audio = new TrackSegmenter(_output, AudioRendition, config, _options);
        }
        else if (!_audio.Config.SameRecord(config))
        {
            ReleaseAudio(zero, now, all: true);
            MarkDiscontinuity(DiscontinuityReason.CodecConfig);
            _audio.ChangeConfig(config, zero, now);
        }
    }

    /// <summary>
    /// One access unit, with the wall clock at which it was received, on the stream's timeline: the
    /// hub has mapped a resumed publisher's timestamps after the old ones already
    /// (<c>RtmpGateway.Hub.TimelineRemap</c>), so they keep increasing across publishes.
    /// </summary>
    public void OnAccessUnit(in AccessUnit unit, DateTimeOffset receivedAt)
    {
        lock (_gate)
        {
            OnAccessUnitLocked(unit, receivedAt);
        }
    }

    private void OnAccessUnitLocked(in AccessUnit mapped, DateTimeOffset receivedAt)
    {
        if (_output.EndedAt is not null || _suspended)
        {
            return;
        }

        _output.MediaTimeZero ??= receivedAt - TimeSpan.FromSeconds((double)mapped.Dts / mapped.Config.Timescale);
        DateTimeOffset zero = _output.MediaTimeZero.Value;
        _lastReceived = receivedAt;
        if (mapped.Kind == MediaKind.Video)
        {
            if (_video is not null)
            {
                AccessUnit video = _video.Monotonic(mapped);
                AddVideo(_video, video, zero, receivedAt);
                _videoTime90k = To90k(video);
                ReleaseAudio(zero, receivedAt, all: false);
            }
        }
        else if (_audio is not null)
        {
            AccessUnit audio = _audio.Monotonic(mapped);
            _heldAudio.Enqueue(audio);
            _lastHeldAudio90k = To90k(audio);
            ReleaseAudio(zero, receivedAt, all: false);
        }
    }

    private static void EnqueueBounded<T>(Queue<T> queue, T item)
    {
        if (queue.Count == MaxVideoStartsKept)
        {
            queue.Dequeue();
        }

        queue.Enqueue(item);
    }

    private static long To90k(in AccessUnit unit) => unit.Dts * 90_000 / unit.Config.Timescale;

    /// <summary>
    /// Packages the held audio the video has passed: by then every segment and part start up to its
    /// time is known. Without video, or with video stalled for <see cref="MaxAudioHold90k"/>, audio goes on alone.
    /// </summary>
    private void ReleaseAudio(DateTimeOffset zero, DateTimeOffset now, bool all)
    {
        while (_heldAudio.TryPeek(out AccessUnit head))
        {
            long head90k = To90k(head);
            bool passed = _video is null || (_videoTime90k is { } v && head90k <= v);
            bool tooLong = _lastHeldAudio90k - head90k > MaxAudioHold90k;
            if (!all && !passed && !tooLong)
            {
                return;
            }

            _heldAudio.Dequeue();
            AddAudio(_audio!, head, zero, now);
        }
    }

    /// <summary>
    /// The publisher is gone but may come back: every track flushes its last segment, so all segments
    /// so far are complete and listed; the playlists stay live (no ENDLIST) and the MPD dynamic.
    /// </summary>
    public void Suspend(DateTimeOffset now)
    {
        lock (_gate)
        {
            SuspendLocked(now);
        }
    }

    private void SuspendLocked(DateTimeOffset now)
    {
        if (_output.EndedAt is not null || _suspended)
        {
            return;
        }

        DateTimeOffset zero = _output.MediaTimeZero ?? _output.PublishedAt;
        ReleaseAudio(zero, now, all: true);
        _videoPartStarts90k.Clear();
        _videoTime90k = null;
        _video?.Interrupt(zero, now);
        _audio?.Interrupt(zero, now);
        foreach (Rung rung in _rungs.Values)
        {
            rung.Segmenter.Interrupt(zero, now);
            rung.Boundaries.Clear();
        }

        // Boundaries of the old publish are of no use to the new one's tracks.
        _videoBoundaries.Clear();
        _recentBoundaries.Clear();
        _suspended = true;
        _output.SuspendedAt = now;
        _output.Changed.Signal();
    }

    /// <summary>
    /// A publisher is back (within the grace period): the output continues. Its first segment starts
    /// after a discontinuity, with the same sequence numbers going on (its timestamps come mapped after
    /// the old ones). Returns the new <see cref="Publish"/> number (ladder output of
    /// older publishes is ignored from now on).
    /// </summary>
    public int Resume(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_output.EndedAt is not null)
            {
                throw new InvalidOperationException("the output has ended; a new publish needs a new output");
            }

            SuspendLocked(now);
            _suspended = false;
            _output.SuspendedAt = null;
            _publish++;
            MarkDiscontinuity(DiscontinuityReason.Reconnect);
            _output.Changed.Signal();
            return _publish;
        }
    }

    /// <summary>The publisher left for good: every track flushes its last segment; playlists get ENDLIST, the MPD turns static.</summary>
    public void End(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_output.EndedAt is not null)
            {
                return;
            }

            DateTimeOffset zero = _output.MediaTimeZero ?? _output.PublishedAt;
            ReleaseAudio(zero, now, all: true);
            _video?.End(zero, now);
            _audio?.End(zero, now);
            foreach (Rung rung in _rungs.Values)
            {
                rung.Segmenter.End(zero, now);
            }

            _output.SuspendedAt = null;
            _output.EndedAt = now;
            _output.Changed.Signal();
        }
    }

    /// <summary>A transcoded rendition (a ladder rung) of the source video, named by its path segment (e.g. "720p"), from publish <paramref name="publish"/>.</summary>
    public void OnRungConfig(int publish, string rendition, CodecConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_gate)
        {
            if (publish != _publish)
            {
                return;
            }

            if (_rungs.TryGetValue(rendition, out Rung? rung))
            {
                if (!rung.Segmenter.Config.SameRecord(config))
                {
                    MarkDiscontinuity(DiscontinuityReason.CodecConfig);
                    rung.Segmenter.ChangeConfig(config, _output.MediaTimeZero ?? _output.PublishedAt, _lastReceived ?? _output.PublishedAt);
                }

                return;
            }

            rung = new Rung(new TrackSegmenter(_output, rendition, config, _options), new Queue<Boundary>(_recentBoundaries));
            _rungs.Add(rendition, rung);
        }
    }

    /// <summary>
    /// One access unit of a rung, from publish <paramref name="publish"/> (units of an older one are
    /// dropped). Rungs are encoded with an IDR at each source keyframe and the source's decode times
    /// (as <see cref="OnAccessUnit"/> returned them), so a rung starts and cuts segments exactly where
    /// the source did, with the same sequence numbers.
    /// </summary>
    public void OnRungAccessUnit(int publish, string rendition, in AccessUnit unit, DateTimeOffset receivedAt)
    {
        lock (_gate)
        {
            if (publish != _publish || _suspended || _output.EndedAt is not null
                || !_rungs.TryGetValue(rendition, out Rung? rung) || _output.MediaTimeZero is not { } zero)
            {
                return;
            }

            AccessUnit u = rung.Segmenter.Monotonic(unit);
            Boundary? boundary = null;
            while (rung.Boundaries.TryPeek(out Boundary b) && u.Dts >= b.Dts)
            {
                boundary = rung.Boundaries.Dequeue();
            }

            if (!rung.Segmenter.InSegment)
            {
                if (boundary is { } first && u.IsKeyframe && u.Dts == first.Dts)
                {
                    rung.Segmenter.StartSegment(u, first.Sequence, first.DiscontinuitySequence);
                }
                else
                {
                    rung.Segmenter.Drop();
                }
            }
            else if (boundary is { } next && u.IsKeyframe)
            {
                rung.Segmenter.CutBefore(u, next.Sequence, next.DiscontinuitySequence, zero, receivedAt);
            }
            else
            {
                rung.Segmenter.Continue(u, zero, receivedAt);
            }
        }
    }

    private sealed record Rung(TrackSegmenter Segmenter, Queue<Boundary> Boundaries);

    /// <summary>Where the source video started segment <paramref name="Sequence"/> (DTS at 90 kHz, on the output's timeline).</summary>
    private readonly record struct Boundary(long Sequence, long Dts, long DiscontinuitySequence);

    /// <summary>The next segment starts after a discontinuity (once, however many reasons come before it).</summary>
    private void MarkDiscontinuity(DiscontinuityReason reason)
    {
        // Before the first segment there is nothing to be discontinuous with.
        if (_nextSequence > 1)
        {
            _pendingDiscontinuity ??= reason;
        }
    }

    /// <summary>A new sequence number for a segment starting at <paramref name="dts"/>, with its discontinuity sequence number.</summary>
    private (long Sequence, long DiscontinuitySequence) NextSegment(long dts, int timescale)
    {
        long sequence = _nextSequence++;
        if (_pendingDiscontinuity is { } reason)
        {
            _pendingDiscontinuity = null;
            _discontinuitySequence++;
            var mediaTime = TimeSpan.FromTicks((long)((Int128)dts * TimeSpan.TicksPerSecond / timescale));
            _output.AddDiscontinuity(new Discontinuity(sequence, _discontinuitySequence, mediaTime, reason));
        }

        return (sequence, _discontinuitySequence);
    }

    private void AnnounceBoundary(Boundary boundary)
    {
        EnqueueBounded(_videoBoundaries, boundary);
        _recentBoundaries.Enqueue(boundary);
        while (_recentBoundaries.Count > 32)
        {
            _recentBoundaries.Dequeue();
        }

        foreach (Rung rung in _rungs.Values)
        {
            rung.Boundaries.Enqueue(boundary);
        }
    }

    private void AddVideo(TrackSegmenter video, in AccessUnit unit, DateTimeOffset zero, DateTimeOffset now)
    {
        if (!video.InSegment)
        {
            if (!unit.IsKeyframe)
            {
                // Undecodable until the first keyframe: nothing can start with it.
                video.Drop();
                return;
            }

            (long sequence, long discontinuity) = NextSegment(unit.Dts, unit.Config.Timescale);
            video.StartSegment(unit, sequence, discontinuity);
            AnnounceBoundary(new Boundary(sequence, unit.Dts, discontinuity));
            return;
        }

        long elapsed = video.ElapsedInSegment(unit);
        bool atTarget = unit.IsKeyframe && elapsed >= video.Ticks(_options.SegmentTarget);
        bool runaway = elapsed >= video.Ticks(_options.MaxSegmentDuration);
        if (atTarget || runaway)
        {
            if (!atTarget)
            {
                ForcedCut?.Invoke(_output, ForcedCutReason.RunawayGop, video.SegmentSequence);
            }

            (long sequence, long discontinuity) = NextSegment(unit.Dts, unit.Config.Timescale);
            video.CutBefore(unit, sequence, discontinuity, zero, now);
            AnnounceBoundary(new Boundary(sequence, unit.Dts, discontinuity));
        }
        else if (video.Continue(unit, zero, now))
        {
            EnqueueBounded(_videoPartStarts90k, To90k(unit));
        }
    }

    private void AddAudio(TrackSegmenter audio, in AccessUnit unit, DateTimeOffset zero, DateTimeOffset now)
    {
        if (_video is null)
        {
            AddAudioByTime(audio, unit, zero, now);
            return;
        }

        // Follow the video: start or cut a segment where the video started one, a part where it started one.
        long time90k = To90k(unit);
        Boundary? boundary = null;
        while (_videoBoundaries.TryPeek(out Boundary b) && time90k >= b.Dts)
        {
            boundary = _videoBoundaries.Dequeue();
        }

        bool partStart = false;
        while (_videoPartStarts90k.TryPeek(out long p) && time90k >= p)
        {
            _videoPartStarts90k.Dequeue();
            partStart = true;
        }

        if (!audio.InSegment)
        {
            if (boundary is { } first)
            {
                audio.StartSegment(unit, first.Sequence, first.DiscontinuitySequence);
            }
            else
            {
                // Audio from before the video's first keyframe has no segment to go in.
                audio.Drop();
            }

            return;
        }

        if (boundary is { } next)
        {
            audio.CutBefore(unit, next.Sequence, next.DiscontinuitySequence, zero, now);
        }
        else
        {
            audio.Continue(unit, zero, now, cutPart: partStart);
        }
    }

    private void AddAudioByTime(TrackSegmenter audio, in AccessUnit unit, DateTimeOffset zero, DateTimeOffset now)
    {
        if (!audio.InSegment)
        {
            (long sequence, long discontinuity) = NextSegment(unit.Dts, unit.Config.Timescale);
            audio.StartSegment(unit, sequence, discontinuity);
        }
        else if (audio.ElapsedInSegment(unit) >= audio.Ticks(_options.SegmentTarget))
        {
            (long sequence, long discontinuity) = NextSegment(unit.Dts, unit.Config.Timescale);
            audio.CutBefore(unit, sequence, discontinuity, zero, now);
        }
        else
        {
            audio.Continue(unit, zero, now);
        }
    }
}
