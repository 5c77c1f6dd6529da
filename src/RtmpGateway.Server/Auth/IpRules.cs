using System.Net;

namespace RtmpGateway.Server.Auth;

/// <summary>Allow and deny lists of addresses and CIDR networks; IPv4-mapped IPv6 addresses count as IPv4.</summary>
internal sealed class IpRules
{
    private readonly IPNetwork[] _allow;
    private readonly IPNetwork[] _deny;

    public IpRules(IpRuleOptions options)
    {
        _allow = [.. options.Allow.Select(Parse)];
        _deny = [.. options.Deny.Select(Parse)];
    }

    public static bool TryParse(string rule, out IPNetwork network)
    {
        network = default;
        if (!IsFullAddress(rule))
        {
            return false;
        }

        if (IPNetwork.TryParse(rule, out network))
        {
            network = Canonical(network);
            return true;
        }

        if (IPAddress.TryParse(rule, out IPAddress? address))
        {
            network = Canonical(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            return true;
        }

        return false;
    }

    /// <summary>
    /// IPv4 only as four dotted decimal numbers (RFC 4001's dotted-decimal form). The parser also takes
    /// inet_aton's shorthands, where "192.168.1" is the one host 192.168.0.1 and "10" is 0.0.0.10: an
    /// operator who meant a network would get one unrelated host, so those are refused at start.
    /// </summary>
    private static bool IsFullAddress(string rule)
    {
        ReadOnlySpan<char> address = rule.AsSpan();
        int slash = address.IndexOf('/');
        if (slash >= 0)
        {
            address = address[..slash];
        }

        if (address.Contains(':'))
        {
            return true;
        }

        int parts = 0;
        foreach (Range part in address.Split('.'))
        {
            ReadOnlySpan<char> digits = address[part];
            if (digits.Length is 0 or > 3 || digits.ContainsAnyExceptInRange('0', '9'))
            {
                return false;
            }

            parts++;
        }

        return parts == 4;
    }

    /// <summary>
    /// A rule inside ::ffff:0:0/96 (RFC 4291 §2.5.5.2) as the IPv4 network it stands for: addresses
    /// are checked as IPv4 (<see cref="Canonical(IPAddress)"/>), so a mapped rule would match nothing.
    /// </summary>
    private static IPNetwork Canonical(IPNetwork network)
        => network.PrefixLength >= 96 && network.BaseAddress.IsIPv4MappedToIPv6
            ? new IPNetwork(network.BaseAddress.MapToIPv4(), network.PrefixLength - 96)
            : network;

    private static IPNetwork Parse(string rule) => TryParse(rule, out IPNetwork network) ? network : throw new FormatException($"'{rule}' is not an address or CIDR network");

    /// <summary>Null when the address may; otherwise the reason it may not.</summary>
    public string? Check(IPAddress? address)
    {
        if (_allow.Length == 0 && _deny.Length == 0)
        {
            return null;
        }

        if (address is null)
        {
            return "address unknown";
        }

        address = Canonical(address);
        if (Array.Exists(_deny, n => n.Contains(address)))
        {
            return "address denied";
        }

        return _allow.Length > 0 && !Array.Exists(_allow, n => n.Contains(address)) ? "address not allowed" : null;
    }

    /// <summary>An address as rules, limits and rate buckets key it: IPv4-mapped IPv6 (a dual-stack socket's view of an IPv4 peer) as IPv4.</summary>
    public static IPAddress Canonical(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
