using System.Net;
using System.Net.Sockets;
using RtmpGateway.Server.Rtmp;

namespace RtmpGateway.Server.Tests.Rtmp;

/// <summary>
/// Rtmp:MaxConnections and Rtmp:MaxConnectionsPerIp (README: "RTMP connections open at once (any
/// state); more are closed at accept", "the same, per remote address"): counted from accept to Release.
/// </summary>
public sealed class ConnectionLimiterTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");

    private static void Acquire(ConnectionLimiter limiter, IPAddress? address, int times = 1)
    {
        for (int i = 0; i < times; i++)
        {
            Assert.True(limiter.TryAcquire(address, out string reason), $"connection {i} from {address}: {reason}");
            Assert.Equal("", reason);
        }
    }

    [Fact]
    public void TryAcquire_TotalReached_RefusedNamingRtmpMaxConnections()
    {
        var limiter = new ConnectionLimiter(maxTotal: 3, maxPerAddress: 100);
        Acquire(limiter, A, 2);
        Acquire(limiter, B);

        Assert.False(limiter.TryAcquire(IPAddress.Parse("198.51.100.1"), out string reason));
        Assert.Contains("Rtmp:MaxConnections", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("PerIp", reason, StringComparison.Ordinal);
        Assert.Equal(3, limiter.Count);
    }

    [Fact]
    public void TryAcquire_PerAddressReached_RefusedForThatAddressOnly()
    {
        var limiter = new ConnectionLimiter(maxTotal: 100, maxPerAddress: 2);
        Acquire(limiter, A, 2);

        Assert.False(limiter.TryAcquire(A, out string reason));
        Assert.Contains("Rtmp:MaxConnectionsPerIp", reason, StringComparison.Ordinal);
        Acquire(limiter, B, 2);
        Assert.Equal(4, limiter.Count);
    }

    [Fact]
    public void TryAcquire_Refused_CountsNothing()
    {
        var limiter = new ConnectionLimiter(maxTotal: 2, maxPerAddress: 1);
        Acquire(limiter, A);
        Assert.False(limiter.TryAcquire(A, out _));
        Assert.False(limiter.TryAcquire(A, out _));
        Assert.Equal(1, limiter.Count);

        // Had the refusals been counted against A, its release would not free it.
        limiter.Release(A);
        Acquire(limiter, A);
        Acquire(limiter, B);
        Assert.False(limiter.TryAcquire(IPAddress.Parse("198.51.100.1"), out _));
    }

    [Fact]
    public void Release_FreesTheTotalAndTheAddressSlot()
    {
        var limiter = new ConnectionLimiter(maxTotal: 2, maxPerAddress: 2);
        Acquire(limiter, A, 2);
        Assert.False(limiter.TryAcquire(A, out _));

        limiter.Release(A);
        Assert.Equal(1, limiter.Count);
        Acquire(limiter, A);
        limiter.Release(A);
        limiter.Release(A);
        Assert.Equal(0, limiter.Count);
        Acquire(limiter, A, 2);
    }

    [Fact]
    public void AddressOf_IPv4MappedEndPoint_IsItsIPv4_SoBothShareOneLimit()
    {
        IPAddress? mapped = ConnectionLimiter.AddressOf(new IPEndPoint(A.MapToIPv6(), 50_000));
        Assert.Equal(A, mapped);

        var limiter = new ConnectionLimiter(maxTotal: 100, maxPerAddress: 1);
        Acquire(limiter, ConnectionLimiter.AddressOf(new IPEndPoint(A, 50_001)));
        Assert.False(limiter.TryAcquire(mapped, out _));
    }

    [Fact]
    public void AddressOf_IPv6EndPoint_IsItsAddress()
    {
        IPAddress v6 = IPAddress.Parse("2001:db8::1");
        Assert.Equal(v6, ConnectionLimiter.AddressOf(new IPEndPoint(v6, 1935)));
    }

    [Fact]
    public void AddressOf_NonIPEndPoint_Null()
    {
        Assert.Null(ConnectionLimiter.AddressOf(new UnixDomainSocketEndPoint("/tmp/rtmp.sock")));
        Assert.Null(ConnectionLimiter.AddressOf(null));
    }

    [Fact]
    public void TryAcquire_NoAddress_CountsToTheTotalOnly()
    {
        var limiter = new ConnectionLimiter(maxTotal: 3, maxPerAddress: 1);
        Acquire(limiter, null, 2);
        Acquire(limiter, A);
        Assert.False(limiter.TryAcquire(null, out string reason));
        Assert.Contains("Rtmp:MaxConnections", reason, StringComparison.Ordinal);

        limiter.Release(null);
        Assert.Equal(2, limiter.Count);
        Acquire(limiter, null);
    }

    [Fact]
    public void RtmpOptions_Defaults_AreTheReadmes()
    {
        var defaults = new RtmpOptions();
        Assert.Equal(10_000, defaults.MaxConnections);
        Assert.Equal(100, defaults.MaxConnectionsPerIp);
    }
}
