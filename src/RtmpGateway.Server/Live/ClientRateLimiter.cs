using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.Server.Live;

/// <summary>
/// The media endpoints' rate limit: a token bucket per client address (Http:RateLimitPerSecond,
/// Http:RateLimitBurst), refilled continuously from the clock when the client next asks. It has no
/// timer: ASP.NET Core's partitioned limiter wakes a thread ten times a second even with no client,
/// which was a quarter of an idle-to-one-stream gateway's CPU (bench scenario 1, one stream).
/// Buckets idle long enough to be full again are dropped on the request path, at most every 10 s.
/// </summary>
internal sealed class ClientRateLimiter
{
    private readonly ConcurrentDictionary<IPAddress, Bucket> _buckets = new();
    private readonly TimeProvider _time;
    private readonly long _sweepInterval;
    private readonly double _perTick;
    private readonly double _burst;
    private readonly long _fullAfterTicks;
    private long _nextSweep;

    public ClientRateLimiter(IOptions<HttpOptions> options, TimeProvider time)
    {
        HttpOptions o = options.Value;
        _time = time;
        Enabled = o.RateLimitPerSecond > 0;
        _burst = o.RateLimitBurst;
        _perTick = (double)o.RateLimitPerSecond / time.TimestampFrequency;
        _fullAfterTicks = Enabled ? (long)Math.Ceiling(_burst / _perTick) : 0;
        _sweepInterval = time.TimestampFrequency * 10;
        _nextSweep = time.GetTimestamp() + _sweepInterval;
    }

    public bool Enabled { get; }

    /// <summary>Buckets held (one per address seen recently).</summary>
    public int Clients => _buckets.Count;

    /// <summary>Takes one request's token; when there is none, says when the next one comes.</summary>
    public bool TryAcquire(IPAddress client, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!Enabled)
        {
            return true;
        }

        long now = _time.GetTimestamp();
        if (now >= Interlocked.Read(ref _nextSweep))
        {
            Sweep(now);
        }

        Bucket bucket = _buckets.GetOrAdd(IpRules.Canonical(client), static (_, state) => new Bucket(state.Burst, state.Now), (Burst: _burst, Now: now));
        lock (bucket)
        {
            bucket.Tokens = Math.Min(_burst, bucket.Tokens + ((now - bucket.Updated) * _perTick));
            bucket.Updated = now;
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                return true;
            }

            retryAfter = TimeSpan.FromSeconds((1 - bucket.Tokens) / _perTick / _time.TimestampFrequency);
            return false;
        }
    }

    private void Sweep(long now)
    {
        long due = Interlocked.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + _sweepInterval, due) != due)
        {
            return;
        }

        foreach (KeyValuePair<IPAddress, Bucket> entry in _buckets)
        {
            // Idle long enough to have refilled: forgetting it changes nothing for that client.
            if (now - Volatile.Read(ref entry.Value.Updated) >= _fullAfterTicks)
            {
                _buckets.TryRemove(entry);
            }
        }
    }

    /// <summary>The 429 (RFC 6585 §4) of a client over its rate, with Retry-After.</summary>
    public static void Refuse(HttpContext context, TimeSpan retryAfter)
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = ((int)Math.Ceiling(Math.Max(1, retryAfter.TotalSeconds))).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.CacheControl = "no-cache";
    }

    private sealed class Bucket(double tokens, long updated)
    {
        public double Tokens = tokens;
        public long Updated = updated;
    }
}
