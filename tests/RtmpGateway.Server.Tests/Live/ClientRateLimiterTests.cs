using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using RtmpGateway.Server.Live;

namespace RtmpGateway.Server.Tests.Live;

/// <summary>
/// The media endpoints' per-address token bucket (README: Http:RateLimitPerSecond, Http:RateLimitBurst,
/// "token bucket, 0 = off; over it 429 with Retry-After"), on a clock the test moves.
/// </summary>
public sealed class ClientRateLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");

    private static ClientRateLimiter Limiter(TimeProvider clock, int perSecond = 5, int burst = 10)
        => new(Options.Create(new HttpOptions { RateLimitPerSecond = perSecond, RateLimitBurst = burst }), clock);

    private static int Drain(ClientRateLimiter limiter, IPAddress client)
    {
        int passed = 0;
        while (limiter.TryAcquire(client, out _))
        {
            passed++;
            Assert.True(passed <= 1_000_000, "the bucket never ran dry");
        }

        return passed;
    }

    [Fact]
    public void TryAcquire_BurstUsedUp_RefusedWithRetryAfterUntilTheNextToken()
    {
        var clock = new FakeTimeProvider();
        ClientRateLimiter limiter = Limiter(clock);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(limiter.TryAcquire(Client, out _), $"request {i} of the burst");
        }

        Assert.False(limiter.TryAcquire(Client, out TimeSpan retry));
        Assert.Equal(200, retry.TotalMilliseconds, precision: 6);

        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.False(limiter.TryAcquire(Client, out retry));
        Assert.Equal(100, retry.TotalMilliseconds, precision: 6);

        // 5 a second: 200 ms after the bucket ran dry there is one token, then none.
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(limiter.TryAcquire(Client, out _));
        Assert.False(limiter.TryAcquire(Client, out _));
    }

    [Fact]
    public void TryAcquire_ClientAtExactlyTheRate_IsNeverRefused()
    {
        var clock = new FakeTimeProvider();
        ClientRateLimiter limiter = Limiter(clock, perSecond: 200, burst: 1);
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryAcquire(Client, out _), $"request {i}, 5 ms after the one before");
            clock.Advance(TimeSpan.FromMilliseconds(5));
        }
    }

    [Fact]
    public void TryAcquire_LongIdle_RefillStopsAtTheBurst()
    {
        var clock = new FakeTimeProvider();
        ClientRateLimiter limiter = Limiter(clock);
        Assert.True(limiter.TryAcquire(Client, out _));
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(10, Drain(limiter, Client));
    }

    [Fact]
    public void TryAcquire_RefillOverTime_IsRateTimesElapsed()
    {
        var clock = new FakeTimeProvider();
        ClientRateLimiter limiter = Limiter(clock, perSecond: 5, burst: 100);
        Assert.Equal(100, Drain(limiter, Client));

        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(15, Drain(limiter, Client));
    }

    [Fact]
    public void TryAcquire_OtherAddress_HasABucketOfItsOwn_AndAnIPv4MappedAddressIsItsIPv4()
    {
        var clock = new FakeTimeProvider();
        ClientRateLimiter limiter = Limiter(clock, perSecond: 1, burst: 1);
        Assert.True(limiter.TryAcquire(Client, out _));
        Assert.False(limiter.TryAcquire(Client.MapToIPv6(), out _));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("192.0.2.8"), out _));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("2001:db8::7"), out _));
        Assert.Equal(3, limiter.Clients);
    }

    [Fact]
    public void TryAcquire_IdleBucketsFullAgain_AreForgottenAtTheNextSweep()
    {
        var clock = new FakeTimeProvider();
        ClientRateLimiter limiter = Limiter(clock);
        for (int i = 0; i < 100; i++)
        {
            limiter.TryAcquire(IPAddress.Parse($"198.51.100.{i}"), out _);
        }

        Assert.Equal(100, limiter.Clients);

        // 10 tokens at 5/s: full after 2 s. The sweep runs on a request, at most every 10 s.
        clock.Advance(TimeSpan.FromSeconds(10));
        limiter.TryAcquire(Client, out _);
        Assert.Equal(1, limiter.Clients);
    }

    [Fact]
    public void TryAcquire_BucketNotYetFullAtTheSweep_IsKept()
    {
        var clock = new FakeTimeProvider();
        ClientRateLimiter limiter = Limiter(clock, perSecond: 1, burst: 100);
        IPAddress busy = IPAddress.Parse("198.51.100.1");
        Assert.Equal(100, Drain(limiter, busy));

        // 100 tokens at 1/s: 10 s after running dry it holds 10, and forgetting it would hand it 100.
        clock.Advance(TimeSpan.FromSeconds(10));
        limiter.TryAcquire(Client, out _);

        Assert.Equal(2, limiter.Clients);
        Assert.Equal(10, Drain(limiter, busy));
    }

    [Fact]
    public void TryAcquire_RateZero_TurnsItOff()
    {
        ClientRateLimiter limiter = Limiter(new FakeTimeProvider(), perSecond: 0);
        Assert.False(limiter.Enabled);
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryAcquire(Client, out TimeSpan retry));
            Assert.Equal(TimeSpan.Zero, retry);
        }

        Assert.Equal(0, limiter.Clients);
    }

    [Fact]
    public void Enabled_ShippedDefaults_On()
    {
        // README: 200 a second, burst 400.
        var defaults = new HttpOptions();
        Assert.Equal(200, defaults.RateLimitPerSecond);
        Assert.Equal(400, defaults.RateLimitBurst);
        Assert.True(new ClientRateLimiter(Options.Create(defaults), new FakeTimeProvider()).Enabled);
    }

    [Theory]
    [InlineData(0.2, "1")]
    [InlineData(1.0, "1")]
    [InlineData(1.01, "2")]
    [InlineData(2.5, "3")]
    public void Refuse_RetryAfter_Is429WithWholeSecondsRoundedUp(double seconds, string retryAfter)
    {
        // RFC 6585 §4: 429 Too Many Requests, MAY include Retry-After; RFC 9110 §10.2.3: delay-seconds = 1*DIGIT.
        var context = new DefaultHttpContext();
        ClientRateLimiter.Refuse(context, TimeSpan.FromSeconds(seconds));

        Assert.Equal(429, context.Response.StatusCode);
        Assert.Equal(retryAfter, context.Response.Headers.RetryAfter.ToString());
    }
}
