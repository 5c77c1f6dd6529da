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
/// is cut by time. Calls come in order from the publisher's thread.
/// </summary>
public sealed class StreamPackager
{
    public const string SourceRendition = "source";
    public const string AudioRendition = "audio";

    private readonly StreamOutput _output;
    private readonly PackagingOptions _options;
    /// <summary>How far audio may run ahead of a stalled video before it is packaged without waiting.</summary>
    private const long MaxAudioHold90k = 90_000;

    private readonly Queue<(long Sequence, long Time90k)> _videoBoundaries = new();
    private readonly Queue<long> _videoPartStarts90k = new();
    private readonly Queue<AccessUnit> _heldAudio = new();
    private long? _videoTime90k;
    private long _lastHeldAudio90k;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Rung> _rungs = new(StringComparer.Ordinal);

    // The source's recent segment starts, for ladder rungs that join after the first ones.
    private readonly Queue<(long Sequence, long Dts)> _recentBoundaries = new();
    private TrackSegmenter? _video;
    private TrackSegmenter? _audio;
    private long _nextSequence = 1;
    private DateTimeOffset? _lastReceived;

    public StreamPackager(StreamOutput output, PackagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _output = output;
        _options = options;
    }

    public StreamOutput Output => _output;

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
            _audio.ChangeConfig(config, zero, now);
        }
    }

    /// <summary>One access unit, with the wall clock at which it was received.</summary>
    public void OnAccessUnit(in AccessUnit unit, DateTimeOffset receivedAt)
    {
        lock (_gate)
        {
            OnAccessUnitLocked(unit, receivedAt);
        }
    }

    private void OnAccessUnitLocked(in AccessUnit unit, DateTimeOffset receivedAt)
    {
        if (_output.EndedAt is not null)
        {
            return;
        }

        _output.MediaTimeZero ??= receivedAt - TimeSpan.FromSeconds((double)unit.Dts / unit.Config.Timescale);
        DateTimeOffset zero = _output.MediaTimeZero.Value;
        _lastReceived = receivedAt;
        if (unit.Kind == MediaKind.Video)
        {
            if (_video is not null)
            {
                AccessUnit video = _video.Monotonic(unit);
                AddVideo(_video, video, zero, receivedAt);
                _videoTime90k = To90k(video);
                ReleaseAudio(zero, receivedAt, all: false);
            }
        }
        else if (_audio is not null)
        {
            AccessUnit audio = _audio.Monotonic(unit);
            _heldAudio.Enqueue(audio);
            _lastHeldAudio90k = To90k(audio);
            ReleaseAudio(zero, receivedAt, all: false);
        }
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

    /// <summary>The publisher left: every track flushes its last segment; playlists get ENDLIST, the MPD turns static.</summary>
    public void End(DateTimeOffset now)
    {
        lock (_gate)
        {
            DateTimeOffset zero = _output.MediaTimeZero ?? _output.PublishedAt;
            ReleaseAudio(zero, now, all: true);
            _video?.End(zero, now);
            _audio?.End(zero, now);
            foreach (Rung rung in _rungs.Values)
            {
                rung.Segmenter.End(zero, now);
            }

            _output.EndedAt = now;
            _output.Changed.Signal();
        }
    }

    /// <summary>A transcoded rendition (a ladder rung) of the source video, named by its path segment (e.g. "720p").</summary>
    public void OnRungConfig(string rendition, CodecConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        lock (_gate)
        {
            if (_rungs.TryGetValue(rendition, out Rung? rung))
            {
                if (!rung.Segmenter.Config.SameRecord(config))
                {
                    rung.Segmenter.ChangeConfig(config, _output.MediaTimeZero ?? _output.PublishedAt, _lastReceived ?? _output.PublishedAt);
                }

                return;
            }

            rung = new Rung(new TrackSegmenter(_output, rendition, config, _options), new Queue<(long, long)>(_recentBoundaries));
            _rungs.Add(rendition, rung);
        }
    }

    /// <summary>
    /// One access unit of a rung. Rungs are encoded with an IDR at each source keyframe and the
    /// source's decode times, so a rung starts and cuts segments exactly where the source did, with
    /// the same sequence numbers.
    /// </summary>
    public void OnRungAccessUnit(string rendition, in AccessUnit unit, DateTimeOffset receivedAt)
    {
        lock (_gate)
        {
            if (_output.EndedAt is not null || !_rungs.TryGetValue(rendition, out Rung? rung) || _output.MediaTimeZero is not { } zero)
            {
                return;
            }

            AccessUnit u = rung.Segmenter.Monotonic(unit);
            (long Sequence, long Dts)? boundary = null;
            while (rung.Boundaries.TryPeek(out var b) && u.Dts >= b.Dts)
            {
                boundary = rung.Boundaries.Dequeue();
            }

            if (!rung.Segmenter.InSegment)
            {
                if (boundary is { } first && u.IsKeyframe && u.Dts == first.Dts)
                {
                    rung.Segmenter.StartSegment(u, first.Sequence);
                }
                else
                {
                    rung.Segmenter.Drop();
                }
            }
            else if (boundary is { } next && u.IsKeyframe)
            {
                rung.Segmenter.CutBefore(u, next.Sequence, zero, receivedAt);
            }
            else
            {
                rung.Segmenter.Continue(u, zero, receivedAt);
            }
        }
    }

    private sealed record Rung(TrackSegmenter Segmenter, Queue<(long Sequence, long Dts)> Boundaries);

    private void AnnounceBoundary(long sequence, long dts)
    {
        _videoBoundaries.Enqueue((sequence, dts));
        _recentBoundaries.Enqueue((sequence, dts));
        while (_recentBoundaries.Count > 32)
        {
            _recentBoundaries.Dequeue();
        }

        foreach (Rung rung in _rungs.Values)
        {
            rung.Boundaries.Enqueue((sequence, dts));
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

            long sequence = _nextSequence++;
            video.StartSegment(unit, sequence);
            AnnounceBoundary(sequence, unit.Dts);
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

            long sequence = _nextSequence++;
            video.CutBefore(unit, sequence, zero, now);
            AnnounceBoundary(sequence, unit.Dts);
        }
        else if (video.Continue(unit, zero, now))
        {
            _videoPartStarts90k.Enqueue(To90k(unit));
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
        (long Sequence, long Time90k)? boundary = null;
        while (_videoBoundaries.TryPeek(out var b) && time90k >= b.Time90k)
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
                audio.StartSegment(unit, first.Sequence);
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
            audio.CutBefore(unit, next.Sequence, zero, now);
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
            audio.StartSegment(unit, _nextSequence++);
        }
        else if (audio.ElapsedInSegment(unit) >= audio.Ticks(_options.SegmentTarget))
        {
            audio.CutBefore(unit, _nextSequence++, zero, now);
        }
        else
        {
            audio.Continue(unit, zero, now);
        }
    }
}
