using System.Net;
using Microsoft.Extensions.Options;
using RtmpGateway.Server.Live;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>The per-address token bucket of the media endpoints, on a clock the test moves.</summary>
public sealed class ClientRateLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");

    private sealed class ManualClock : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => Now;
    }

    private static ClientRateLimiter Limiter(ManualClock clock, int perSecond = 5, int burst = 10)
        => new(Options.Create(new HttpOptions { RateLimitPerSecond = perSecond, RateLimitBurst = burst }), clock);

    [Fact]
    public void BurstPasses_ThenRefused_WithRetryAfterUntilTheNextToken()
    {
        var clock = new ManualClock();
        ClientRateLimiter limiter = Limiter(clock);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(limiter.TryAcquire(Client, out _), $"request {i} of the burst");
        }

        Assert.False(limiter.TryAcquire(Client, out TimeSpan retry));
        Assert.Equal(TimeSpan.FromMilliseconds(200), retry);

        clock.Now += 100;
        Assert.False(limiter.TryAcquire(Client, out retry));
        Assert.Equal(TimeSpan.FromMilliseconds(100), retry);

        // 5 a second: 200 ms after the bucket ran dry there is one token, then none.
        clock.Now += 100;
        Assert.True(limiter.TryAcquire(Client, out _));
        Assert.False(limiter.TryAcquire(Client, out _));
    }

    [Fact]
    public void Refill_StopsAtTheBurst()
    {
        var clock = new ManualClock();
        ClientRateLimiter limiter = Limiter(clock);
        Assert.True(limiter.TryAcquire(Client, out _));
        clock.Now += 60_000;
        int passed = 0;
        while (limiter.TryAcquire(Client, out _))
        {
            passed++;
        }

        Assert.Equal(10, passed);
    }

    [Fact]
    public void Addresses_HaveBucketsOfTheirOwn_AndAnIPv4MappedAddressIsItsIPv4()
    {
        var clock = new ManualClock();
        ClientRateLimiter limiter = Limiter(clock, perSecond: 1, burst: 1);
        Assert.True(limiter.TryAcquire(Client, out _));
        Assert.False(limiter.TryAcquire(Client.MapToIPv6(), out _));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("192.0.2.8"), out _));
        Assert.Equal(2, limiter.Clients);
    }

    [Fact]
    public void IdleBuckets_AreForgotten_OnceFullAgain()
    {
        var clock = new ManualClock();
        ClientRateLimiter limiter = Limiter(clock);
        for (int i = 0; i < 100; i++)
        {
            limiter.TryAcquire(IPAddress.Parse($"198.51.100.{i}"), out _);
        }

        Assert.Equal(100, limiter.Clients);

        // 10 tokens at 5/s: full after 2 s. The sweep runs on a request, at most every 10 s.
        clock.Now += 10_000;
        limiter.TryAcquire(Client, out _);
        Assert.Equal(1, limiter.Clients);
    }

    [Fact]
    public void Zero_TurnsItOff()
    {
        ClientRateLimiter limiter = Limiter(new ManualClock(), perSecond: 0);
        Assert.False(limiter.Enabled);
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryAcquire(Client, out _));
        }
    }
}
