namespace RtmpGateway.Media;

/// <summary>
/// Turns a stream's 32-bit RTMP millisecond timestamps into one continuous 64-bit timeline. Audio and
/// video of a stream share the RTMP clock, so one instance serves both. Not thread-safe (one per stream).
/// </summary>
public sealed class TimestampUnwrapper
{
    /// <summary>2^31 ms (about 24.9 days): where publishers with a 31-bit FLV timestamp wrap.</summary>
    public const long Wrap31 = 1L << 31;

    /// <summary>How close to 2^31 the previous value and how close to 0 the next must be to count as a 31-bit wrap.</summary>
    public const uint Wrap31Window = 60_000;

    private bool _started;
    private uint _lastRaw;
    private long _last;

    /// <summary>The last value returned, or null before the first call.</summary>
    public long? Last => _started ? _last : null;

    public long Unwrap(uint timestampMs)
    {
        if (!_started)
        {
            _started = true;
            _lastRaw = timestampMs;
            _last = timestampMs;
            return _last;
        }

        long delta;
        if (_lastRaw is >= (uint)Wrap31 - Wrap31Window and < (uint)Wrap31 && timestampMs < Wrap31Window)
        {
            // 31-bit publishers. FFmpeg's FLV muxer (libavformat/flvenc.c, also behind its rtmp:// output)
            // writes the TimestampExtended byte as (ts >> 24) & 0x7F. Checked with FFmpeg 5.1 (Debian 12):
            //   ffmpeg -f lavfi -i testsrc2=rate=30 -t 4 -output_ts_offset 2147480 -c:v libx264 -f flv out.flv
            // gives video tags ... 2147483600, 2147483633, then 19, 52, 85 ... : the clock restarts at
            // 2^31 ms (2147483667 - 2^31 = 19) instead of running on to 2^32. A jump from the last 60 s
            // before 2^31 to the first 60 s after 0 is therefore read as a wrap and continues forward.
            delta = timestampMs + Wrap31 - _lastRaw;
        }
        else
        {
            // RTMP timestamps are 32-bit and wrap at 2^32 ms (RTMP 1.0 "Timestamps": "Because timestamps are 32 bits
            // long, they roll over every 49 days, 17 hours, 2 minutes and 47.296 seconds"). Taking the difference as
            // a signed 32-bit delta reads a fall of more than 2^31 as a forward wrap, and a smaller fall as a real
            // step back (jitter), which the demuxer clamps per track.
            delta = unchecked((int)(timestampMs - _lastRaw));
        }

        _lastRaw = timestampMs;
        _last += delta;
        return _last;
    }
}
