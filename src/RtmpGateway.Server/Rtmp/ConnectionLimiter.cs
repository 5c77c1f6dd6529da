using System.Globalization;
using System.Net;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.Server.Rtmp;

/// <summary>
/// Counts open RTMP connections, in total and per remote address, against
/// <see cref="RtmpOptions.MaxConnections"/> and <see cref="RtmpOptions.MaxConnectionsPerIp"/>. A
/// connection is counted from its accept until <see cref="Release"/>, whatever state it reached.
/// </summary>
internal sealed class ConnectionLimiter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly int _maxTotal;
    private readonly int _maxPerAddress;
    private int _total;

    public ConnectionLimiter(int maxTotal, int maxPerAddress)
    {
        _maxTotal = maxTotal;
        _maxPerAddress = maxPerAddress;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>The key an endpoint is counted under: its address, IPv4-mapped IPv6 as IPv4; null for non-IP endpoints.</summary>
    public static IPAddress? AddressOf(EndPoint? endPoint)
        => endPoint is IPEndPoint ip ? IpRules.Canonical(ip.Address) : null;

    /// <summary>Counts a new connection; false with the reason when a limit is reached (nothing counted then).</summary>
    public bool TryAcquire(IPAddress? address, out string reason)
    {
        lock (_gate)
        {
            if (_total >= _maxTotal)
            {
                reason = string.Create(CultureInfo.InvariantCulture, $"{_total} connections open, the limit (Rtmp:MaxConnections) is {_maxTotal}");
                return false;
            }

            int fromAddress = 0;
            if (address is not null && _perAddress.TryGetValue(address, out fromAddress) && fromAddress >= _maxPerAddress)
            {
                reason = string.Create(CultureInfo.InvariantCulture, $"{fromAddress} connections open from this address, the limit (Rtmp:MaxConnectionsPerIp) is {_maxPerAddress}");
                return false;
            }

            _total++;
            if (address is not null)
            {
                _perAddress[address] = fromAddress + 1;
            }

            reason = "";
            return true;
        }
    }

    /// <summary>Uncounts a connection <see cref="TryAcquire"/> counted.</summary>
    public void Release(IPAddress? address)
    {
        lock (_gate)
        {
            _total--;
            if (address is not null && _perAddress.TryGetValue(address, out int fromAddress))
            {
                if (fromAddress <= 1)
                {
                    _perAddress.Remove(address);
                }
                else
                {
                    _perAddress[address] = fromAddress - 1;
                }
            }
        }
    }
}
