using RtmpGateway.Media;
using RtmpGateway.Packaging.Cmaf;

namespace RtmpGateway.Packaging.Live;

/// <summary>
/// Cuts one track into CMAF parts and segments and publishes each step to its <see cref="TrackOutput"/>.
/// A sample is held until the next one arrives, so its duration is the exact DTS difference and
/// the timeline has no gaps; only the last sample of the stream takes its duration from the frame rate.
/// </summary>
internal sealed class TrackSegmenter
{
    private readonly StreamOutput _stream;
    private readonly TrackOutput _output;
    private readonly PackagingOptions _options;
    private readonly string _rendition;
    private readonly List<CmafSample> _partSamples = [];
    private readonly List<CmafPart> _parts = [];
    private readonly List<CmafSegment> _segments = [];
    private SegmentBuffer? _buffer;
    private int _lastSegmentBytes;
    private CodecConfig _config;
    private InitSegment _init;
    private int _configVersion = 1;
    private AccessUnit? _pending;
    private bool _inSegment;
    private long _segmentStart;
    private long _segmentSequence;
    private long _segmentDiscontinuity;
    private bool _segmentIndependent;
    private long? _end;
    private long _partStart;
    private bool _partIndependent;
    private uint _fragmentSequence = 1;
    private int _targetDuration;
    private long _version;
    private bool _ended;

    public TrackSegmenter(StreamOutput stream, string rendition, CodecConfig config, PackagingOptions options)
    {
        _stream = stream;
        _rendition = rendition;
        _config = config;
        _options = options;
        _init = MakeInit(config);
        _targetDuration = Math.Max(1, (int)Math.Round(options.SegmentTarget.TotalSeconds, MidpointRounding.AwayFromZero));
        _output = new TrackOutput(Snapshot());
        stream.Add(_output);
    }

    public CodecConfig Config => _config;

    public bool InSegment => _inSegment;

    public long SegmentSequence => _segmentSequence;

    /// <summary>The end of the last sample put in a part, in track ticks (null before the first).</summary>
    public long? TimelineEnd => _end;

    public long Ticks(TimeSpan time) => (long)Math.Round(time.TotalSeconds * _config.Timescale);

    /// <summary>Frames dropped because no segment could start with them (video before its first keyframe).</summary>
    public long DroppedBeforeStart { get; private set; }

    /// <summary>A new codec config: the current segment ends, and later ones use a new init segment.</summary>
    public void ChangeConfig(CodecConfig config, DateTimeOffset mediaZero, DateTimeOffset now)
    {
        if (_inSegment)
        {
            FlushPending(null);
            CloseSegment(mediaZero, now);
        }

        _config = config;
        _configVersion++;
        _init = MakeInit(config);
        Publish();
    }

    /// <summary>
    /// The publisher is gone, and may come back: the held sample takes a nominal duration and the
    /// segment in production closes, so every segment so far is complete. The track stays live.
    /// </summary>
    public void Interrupt(DateTimeOffset mediaZero, DateTimeOffset now)
    {
        if (_inSegment)
        {
            FlushPending(null);
            CloseSegment(mediaZero, now);
        }
    }

    private InitSegment MakeInit(CodecConfig config) => new(CmafNames.Init(_stream.Session, _configVersion), config, CmafInitSegment.Write(config));

    /// <summary>
    /// The unit with a DTS strictly after the previous one. Equal DTS occur in real input (FLV's
    /// millisecond clock); a trun cannot give a sample zero duration, so the later one moves by one tick.
    /// </summary>
    public AccessUnit Monotonic(in AccessUnit unit)
    {
        if (_lastDts is { } last && unit.Dts <= last)
        {
            long dts = last + 1;
            _lastDts = dts;
            return unit with { Dts = dts, Pts = Math.Max(unit.Pts, dts) };
        }

        _lastDts = unit.Dts;
        return unit;
    }

    private long? _lastDts;

    /// <summary>Starts a segment with this unit as its first sample.</summary>
    public void StartSegment(in AccessUnit unit, long sequence, long discontinuitySequence)
    {
        _inSegment = true;
        _segmentSequence = sequence;
        _segmentDiscontinuity = discontinuitySequence;
        _segmentStart = unit.Dts;
        _segmentIndependent = unit.IsKeyframe || unit.Kind == MediaKind.Audio;
        _partStart = unit.Dts;
        _partIndependent = _segmentIndependent;
        _pending = unit;
    }

    /// <summary>Time of this unit from the start of the current segment, in track ticks.</summary>
    public long ElapsedInSegment(in AccessUnit unit) => unit.Dts - _segmentStart;

    /// <summary>
    /// Adds the held sample (now that the next one fixes its duration) and holds this one, which
    /// starts a new part when <paramref name="cutPart"/> says so, or by this track's own rule when
    /// it is null. Returns whether a part was cut.
    /// </summary>
    public bool Continue(in AccessUnit unit, DateTimeOffset mediaZero, DateTimeOffset now, bool? cutPart = null)
    {
        long lastDuration = _pending is { } held ? unit.Dts - held.Dts : 0;
        FlushPending(unit.Dts);

        // Video: a part ends at the frame nearest the part target. Frames on FLV's millisecond clock
        // land within a millisecond of it (15 frames at 30 fps: 500 or 501 ms; the playlist's
        // PART-TARGET allows for that). Audio follows the video's part instants (the caller says
        // where); audio without video ends its parts at the AAC frame nearest each multiple of the
        // target from the segment's start, so they do not drift and leave a stub at the end.
        long target = Ticks(_options.PartTarget);
        bool cut = cutPart ?? (_config.Kind == MediaKind.Video
            ? unit.Dts - _partStart + (lastDuration / 2) >= target
            : unit.Dts - _segmentStart + (lastDuration / 2) >= (_parts.Count + 1) * target);
        if (cut)
        {
            ClosePart(mediaZero, now);
            _partStart = unit.Dts;
            _partIndependent = unit.IsKeyframe || unit.Kind == MediaKind.Audio;
        }

        _pending = unit;
        return cut;
    }

    /// <summary>Ends the current segment before this unit and starts the next one with it.</summary>
    public void CutBefore(in AccessUnit unit, long nextSequence, long discontinuitySequence, DateTimeOffset mediaZero, DateTimeOffset now)
    {
        FlushPending(unit.Dts);
        CloseSegment(mediaZero, now);
        StartSegment(unit, nextSequence, discontinuitySequence);
    }

    public void Drop() => DroppedBeforeStart++;

    /// <summary>The publisher is gone: the held sample takes a nominal duration and the last segment closes.</summary>
    public void End(DateTimeOffset mediaZero, DateTimeOffset now)
    {
        if (_inSegment)
        {
            FlushPending(null);
            CloseSegment(mediaZero, now);
        }

        _ended = true;
        Publish();
    }

    private void FlushPending(long? nextDts)
    {
        if (_pending is not { } p)
        {
            return;
        }

        // DTS strictly increase (see Monotonic), so every duration is at least one tick.
        long duration = Math.Min(nextDts is { } next ? next - p.Dts : NominalDuration(), int.MaxValue);
        _partSamples.Add(new CmafSample(p.Dts, (int)duration, (int)(p.Pts - p.Dts), p.IsKeyframe || p.Kind == MediaKind.Audio, p.Payload));
        _end = p.Dts + duration;
        _pending = null;
    }

    private long NominalDuration()
    {
        if (_config.Kind == MediaKind.Audio)
        {
            return 1024; // one AAC frame
        }

        double fps = _config.FrameRate is > 0 and < 1000 ? _config.FrameRate.Value : 30;
        return (long)Math.Round(_config.Timescale / fps);
    }

    private void ClosePart(DateTimeOffset mediaZero, DateTimeOffset now)
    {
        if (_partSamples.Count == 0)
        {
            return;
        }

        _buffer ??= new SegmentBuffer(SegmentBuffer.Expect(_lastSegmentBytes, _config));
        ReadOnlyMemory<byte> bytes = _buffer.AppendChunk(_config, _fragmentSequence++, _partSamples);
        long duration = _partSamples.Sum(s => (long)s.Duration);
        _parts.Add(new CmafPart(_parts.Count, _partSamples[0].Dts, duration, _partIndependent, bytes, now));
        _partSamples.Clear();
        Publish(CurrentSegment(mediaZero, complete: false));
    }

    private void CloseSegment(DateTimeOffset mediaZero, DateTimeOffset now)
    {
        ClosePart(mediaZero, now);
        _inSegment = false;
        if (_parts.Count == 0)
        {
            return;
        }

        CmafSegment segment = CurrentSegment(mediaZero, complete: true);
        _lastSegmentBytes = _buffer?.PartBytes ?? 0;
        _buffer = null;
        _parts.Clear();
        _segments.Add(segment);
        if (_segments.Count > _options.RetainedSegments)
        {
            _segments.RemoveRange(0, _segments.Count - _options.RetainedSegments);
        }

        int rounded = (int)Math.Round((double)segment.Duration / _config.Timescale, MidpointRounding.AwayFromZero);
        _targetDuration = Math.Max(_targetDuration, rounded);
        Publish();
    }

    private CmafSegment CurrentSegment(DateTimeOffset mediaZero, bool complete)
    {
        long duration = _parts.Sum(p => p.Duration);
        DateTimeOffset pdt = mediaZero + TimeSpan.FromSeconds((double)_segmentStart / _config.Timescale);
        return new CmafSegment(_segmentSequence, _segmentStart, duration, pdt, [.. _parts], complete, _segmentIndependent, _segmentDiscontinuity, _init, complete ? _buffer?.Body ?? default : default);
    }

    private void Publish(CmafSegment? current = null)
    {
        _output.Publish(Snapshot(current));
        _stream.Changed.Signal();
    }

    private TrackSnapshot Snapshot(CmafSegment? current = null)
    {
        long peak = 0;
        long bytes = 0;
        long ticks = 0;
        foreach (CmafSegment s in _segments)
        {
            if (s.Duration > 0)
            {
                peak = Math.Max(peak, s.ByteLength * 8L * _config.Timescale / s.Duration);
            }

            bytes += s.ByteLength;
            ticks += s.Duration;
        }

        long average = ticks > 0 ? bytes * 8L * _config.Timescale / ticks : 0;
        return new TrackSnapshot(_rendition, _init, [.. _segments], current, _ended, _targetDuration, peak, average, ++_version);
    }
}
