namespace RtmpGateway.Media;

/// <summary>
/// Keeps a stream's timeline usable when the publisher's clock misbehaves, on the unwrapped
/// millisecond timestamps of each track. Later stages then see one timeline that only goes forward,
/// with the spacing of the publisher's frames and no gap it did not really have:
/// <list type="bullet">
/// <item>A step back of up to <see cref="BackwardTolerance"/> (jitter, rounding) is clamped to the
/// previous timestamp and reported as a repair.</item>
/// <item>A jump (a step back beyond that; a timestamp more than <see cref="MaxJump"/> ahead of the
/// stream's latest one; or a track more than <see cref="MaxJump"/> behind the other) re-bases the
/// track: that unit lands one frame after the track's previous one (a track's first unit: at the
/// stream's latest time), the following ones keep their spacing from it, and the jump is reported once.
/// Clamping a jump instead would give every following frame the same timestamp (a storm of one-tick
/// samples); passing it on would give one sample (and segment) the length of the jump.</item>
/// <item>When both tracks jump together (an encoder that restarted its clock), the second one takes the
/// first one's correction if that puts it in line, so audio and video stay exactly in sync.</item>
/// </list>
/// One instance per stream; not thread-safe.
/// </summary>
public sealed class TimelineRepair
{
    /// <summary>The default <see cref="MaxJump"/>: more than any real interleaving of audio and video, less than a segment's maximum.</summary>
    public static readonly TimeSpan DefaultMaxJump = TimeSpan.FromSeconds(5);

    /// <summary>The default <see cref="BackwardTolerance"/>.</summary>
    public static readonly TimeSpan DefaultBackwardTolerance = TimeSpan.FromMilliseconds(100);

    private readonly long _maxJumpMs;
    private readonly long _backwardToleranceMs;
    private readonly Track[] _tracks = [new(33), new(23)];

    // A jump one track was re-based for, which the other track may share: (track, correction in ms).
    private (MediaKind Kind, long Correction)? _shared;

    public TimelineRepair()
        : this(DefaultMaxJump, DefaultBackwardTolerance)
    {
    }

    public TimelineRepair(TimeSpan maxJump, TimeSpan backwardTolerance)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxJump, TimeSpan.FromMilliseconds(500));
        ArgumentOutOfRangeException.ThrowIfLessThan(backwardTolerance, TimeSpan.Zero);
        MaxJump = maxJump;
        BackwardTolerance = backwardTolerance;
        _maxJumpMs = (long)maxJump.TotalMilliseconds;
        _backwardToleranceMs = (long)backwardTolerance.TotalMilliseconds;
    }

    /// <summary>How far a timestamp may be ahead of the stream's latest one (or a track behind the other) before it counts as a jump.</summary>
    public TimeSpan MaxJump { get; }

    /// <summary>How far a track's timestamp may step back and still be clamped, not re-based.</summary>
    public TimeSpan BackwardTolerance { get; }

    /// <summary>The repaired timestamp (ms) for a unit of <paramref name="kind"/> at <paramref name="ms"/>; repairs and jumps are reported to <paramref name="sink"/>.</summary>
    public long Repair(MediaKind kind, long ms, IMediaSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        Track track = _tracks[(int)kind];
        long? latest = Latest();
        long t = ms + track.Offset;
        if (IsJump(track, t, latest))
        {
            if (_shared is { } shared && shared.Kind != kind && !IsJump(track, t + shared.Correction, latest))
            {
                // The other track just jumped by as much: the publisher's whole clock moved.
                track.Offset += shared.Correction;
                t += shared.Correction;
                _shared = null;
            }
            else
            {
                long expected = track.Last is { } last ? last + track.Step : latest!.Value;
                long correction = expected - t;
                track.Offset += correction;
                _shared = (kind, correction);
                sink.OnTimelineJump(kind, t, expected);
                t = expected;
            }
        }
        else
        {
            if (_shared is { } shared && shared.Kind != kind)
            {
                // This track did not jump with the other one: nothing to share.
                _shared = null;
            }

            if (track.Last is { } last && t < last)
            {
                // DESIGN.md: "Non-monotonic input is repaired there (clamped and logged), never passed downstream."
                sink.OnTimestampRepaired(kind, t, last);
                return last;
            }
        }

        if (track.Last is { } previous && t - previous is > 0 and <= 1000)
        {
            track.Step = t - previous;
        }

        track.Last = t;
        return t;
    }

    /// <summary>The stream's latest timestamp over its tracks, null before the first.</summary>
    private long? Latest()
    {
        long? latest = null;
        foreach (Track track in _tracks)
        {
            if (track.Last is { } last && (latest is null || last > latest))
            {
                latest = last;
            }
        }

        return latest;
    }

    private bool IsJump(Track track, long t, long? latest)
    {
        if (track.Last is { } last && t < last - _backwardToleranceMs)
        {
            return true;
        }

        return latest is { } l && (t > l + _maxJumpMs || t < l - _maxJumpMs);
    }

    private sealed class Track(long step)
    {
        /// <summary>Added to the publisher's timestamps since the last jump.</summary>
        public long Offset { get; set; }

        /// <summary>The last repaired timestamp.</summary>
        public long? Last { get; set; }

        /// <summary>The last step forward (one frame), for placing the unit after a jump.</summary>
        public long Step { get; set; } = step;
    }
}
