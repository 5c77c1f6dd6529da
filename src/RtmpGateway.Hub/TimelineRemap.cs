using RtmpGateway.Media;

namespace RtmpGateway.Hub;

/// <summary>
/// One stream's timeline across publishes. The first publish's timestamps are the timeline; a
/// publisher that comes back within the grace starts its own timestamps anew (often at 0), and its
/// first frame fixes how they map onto the stream's: at its wall clock (so program date-times stay
/// true), and never before the old timeline's end plus <see cref="ResumeGap"/> (so decode times keep
/// increasing in every track). Every reader sees the mapped timeline: the packager, the ladder, RTMP
/// output and the recorder agree on it. Not thread-safe: the stream calls it under its lock.
/// </summary>
public sealed class TimelineRemap
{
    /// <summary>
    /// Least room between the old timeline's end and a resumed publisher's first frame. The first
    /// frame of one track fixes the mapping for all; another track's first frame may carry a slightly
    /// earlier timestamp (interleaving), and must still land after that track's old end.
    /// </summary>
    public static readonly TimeSpan ResumeGap = TimeSpan.FromMilliseconds(500);

    private readonly Dictionary<string, TrackEnd> _ends = new(StringComparer.Ordinal);
    private bool _pending;
    private long _offsetTicks;
    private int _offsetTimescale = 1;

    /// <summary>The wall clock of media time 0: the first frame's arrival less its timestamp.</summary>
    public DateTimeOffset? Zero { get; private set; }

    /// <summary>A new publish begins: its first frame fixes the mapping.</summary>
    public void Resume() => _pending = Zero is not null;

    /// <summary>Maps an ingest frame onto the stream's timeline and remembers where its track ends.</summary>
    public AccessUnit Map(string rendition, in AccessUnit unit, DateTimeOffset receivedAt)
    {
        int timescale = unit.Config.Timescale;
        if (Zero is null)
        {
            Zero = receivedAt - TimeSpan.FromSeconds((double)unit.Dts / timescale);
        }
        else if (_pending)
        {
            _pending = false;
            long target = (long)Math.Round((receivedAt - Zero.Value).TotalSeconds * timescale);
            long gap = (long)Math.Round(ResumeGap.TotalSeconds * timescale);
            foreach (TrackEnd end in _ends.Values)
            {
                target = Math.Max(target, Convert(end.End, end.Timescale, timescale) + gap);
            }

            _offsetTicks = target - unit.Dts;
            _offsetTimescale = timescale;
        }

        AccessUnit mapped = unit;
        if (_offsetTicks != 0)
        {
            long offset = Convert(_offsetTicks, _offsetTimescale, timescale);
            mapped = unit with { Dts = unit.Dts + offset, Pts = unit.Pts + offset };
        }

        _ends.TryGetValue(rendition, out TrackEnd last);
        long step = last.Timescale == timescale && mapped.Dts > last.LastDts ? mapped.Dts - last.LastDts : last.Step;
        _ends[rendition] = new TrackEnd(mapped.Dts, step, mapped.Dts + step, timescale);
        return mapped;
    }

    private static long Convert(long ticks, int from, int to)
        => from == to ? ticks : (long)Math.Round((double)((Int128)ticks * to) / from, MidpointRounding.AwayFromZero);

    private readonly record struct TrackEnd(long LastDts, long Step, long End, int Timescale);
}
