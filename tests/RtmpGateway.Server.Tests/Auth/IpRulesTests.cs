using System.Net;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.Server.Tests.Auth;

/// <summary>
/// Auth:Publish and Auth:Play address rules (README: "addresses or CIDR networks; deny wins"; empty by
/// default). IPv4-mapped IPv6 addresses, a dual-stack socket's view of an IPv4 peer, count as IPv4.
/// Network boundaries are from RFC 4632 §3.1 (IPv4 prefixes) and RFC 4291 §2.3 (IPv6 prefixes).
/// </summary>
public sealed class IpRulesTests
{
    private static IpRules Rules(string[]? allow = null, string[]? deny = null)
        => new(new IpRuleOptions { Allow = [.. allow ?? []], Deny = [.. deny ?? []] });

    private static string? Check(IpRules rules, string address) => rules.Check(IPAddress.Parse(address));

    [Theory]
    [InlineData("192.0.2.7")]
    [InlineData("2001:db8::7")]
    [InlineData("::ffff:192.0.2.7")]
    [InlineData("127.0.0.1")]
    public void Check_EmptyLists_EveryAddressMay(string address)
        => Assert.Null(Check(Rules(), address));

    [Fact]
    public void Check_EmptyListsAndNoAddress_May()
        => Assert.Null(Rules().Check(null));

    [Fact]
    public void Check_RulesAndNoAddress_AddressUnknown()
    {
        Assert.Equal("address unknown", Rules(allow: ["10.0.0.0/8"]).Check(null));
        Assert.Equal("address unknown", Rules(deny: ["10.0.0.0/8"]).Check(null));
    }

    [Theory]
    [InlineData("10.0.0.0", null)]
    [InlineData("10.255.255.255", null)]
    [InlineData("9.255.255.255", "address not allowed")]
    [InlineData("11.0.0.0", "address not allowed")]
    [InlineData("2001:db8::1", "address not allowed")]
    public void Check_AllowIPv4Network_OnlyAddressesInsideMay(string address, string? reason)
        => Assert.Equal(reason, Check(Rules(allow: ["10.0.0.0/8"]), address));

    [Theory]
    [InlineData("2001:db8::", null)]
    [InlineData("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", null)]
    [InlineData("2001:db9::", "address not allowed")]
    [InlineData("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "address not allowed")]
    [InlineData("10.0.0.1", "address not allowed")]
    public void Check_AllowIPv6Network_OnlyAddressesInsideMay(string address, string? reason)
        => Assert.Equal(reason, Check(Rules(allow: ["2001:db8::/32"]), address));

    [Theory]
    [InlineData("192.0.2.7", "address denied")]
    [InlineData("192.0.2.8", null)]
    [InlineData("2001:db8::7", "address denied")]
    [InlineData("2001:db8::8", null)]
    public void Check_DenySingleAddress_DeniesThatAddressOnly(string address, string? reason)
        => Assert.Equal(reason, Check(Rules(deny: ["192.0.2.7", "2001:db8::7"]), address));

    [Fact]
    public void Check_AddressInBothLists_DenyWins()
    {
        IpRules rules = Rules(allow: ["10.0.0.0/8", "192.0.2.7"], deny: ["10.9.0.0/16", "192.0.2.7"]);

        Assert.Equal("address denied", Check(rules, "10.9.1.1"));
        Assert.Equal("address denied", Check(rules, "192.0.2.7"));
        Assert.Null(Check(rules, "10.8.1.1"));
    }

    [Fact]
    public void Check_DenyOnly_EveryoneElseMay()
    {
        IpRules rules = Rules(deny: ["198.51.100.0/24"]);

        Assert.Equal("address denied", Check(rules, "198.51.100.200"));
        Assert.Null(Check(rules, "198.51.101.1"));
        Assert.Null(Check(rules, "2001:db8::1"));
    }

    [Fact]
    public void Check_IPv4MappedPeer_MatchesIPv4Rules()
    {
        Assert.Equal("address denied", Check(Rules(deny: ["192.0.2.0/24"]), "::ffff:192.0.2.7"));
        Assert.Null(Check(Rules(allow: ["192.0.2.0/24"]), "::ffff:192.0.2.7"));
        Assert.Equal("address not allowed", Check(Rules(allow: ["192.0.2.0/24"]), "::ffff:198.51.100.7"));
    }

    [Fact]
    public void Check_IPv4MappedRule_MatchesTheIPv4Peer()
    {
        // The rule as an operator may copy it from a dual-stack server's log.
        Assert.Equal("address denied", Check(Rules(deny: ["::ffff:192.0.2.7"]), "192.0.2.7"));
        Assert.Equal("address denied", Check(Rules(deny: ["::ffff:192.0.2.7"]), "::ffff:192.0.2.7"));
        Assert.Equal("address denied", Check(Rules(deny: ["::ffff:192.0.2.0/120"]), "192.0.2.9"));
    }

    [Theory]
    [InlineData("10.0.0.0/8")]
    [InlineData("192.0.2.7")]
    [InlineData("192.0.2.7/32")]
    [InlineData("0.0.0.0/0")]
    [InlineData("2001:db8::/32")]
    [InlineData("::1")]
    [InlineData("::/0")]
    public void TryParse_AddressOrCidrNetwork_True(string rule)
        => Assert.True(IpRules.TryParse(rule, out _));

    [Theory]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("10.0.0.0/33")]
    [InlineData("2001:db8::/129")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("256.0.0.1")]
    [InlineData("192.168.1")] // inet_aton reads it as the host 192.168.0.1
    [InlineData("192.168.1/24")]
    [InlineData("10")] // 0.0.0.10
    [InlineData("10/8")]
    [InlineData("0x7f.0.0.1")] // hexadecimal
    [InlineData("1.2.3.4.5")]
    public void TryParse_NotAnAddressOrNetwork_False(string rule)
        => Assert.False(IpRules.TryParse(rule, out _));

    [Fact]
    public void Check_NetworkWrittenWithHostBitsSet_IsTheWholeNetwork()
    {
        // "10.0.0.1/8" read as the one host 10.0.0.1 would let the rest of a denied network in.
        IpRules rules = Rules(deny: ["10.0.0.1/8", "2001:db8::1/32"]);

        Assert.Equal("address denied", Check(rules, "10.200.0.1"));
        Assert.Equal("address denied", Check(rules, "2001:db8:ffff::1"));
        Assert.Null(Check(rules, "11.0.0.1"));
    }

    [Fact]
    public void Validate_BadRule_NamesTheSectionAndTheRule()
    {
        var options = new AuthOptions { Publish = new IpRuleOptions { Deny = ["10.0.0.0/33"] } };
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("Auth:Publish", e.Message, StringComparison.Ordinal);
        Assert.Contains("10.0.0.0/33", e.Message, StringComparison.Ordinal);

        var play = new AuthOptions { Play = new IpRuleOptions { Allow = ["not-an-address"] } };
        Assert.Contains("Auth:Play", Assert.Throws<InvalidOperationException>(play.Validate).Message, StringComparison.Ordinal);
    }
}
