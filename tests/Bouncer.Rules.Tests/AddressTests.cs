using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Tests;

/// <summary>The address forms of design §2.2 as <c>from:</c>, <c>to:</c> and <c>bounce to:</c> read them.</summary>
public sealed class AddressTests
{
    private static Rule CompileFrom(string from)
    {
        var result = TestCompiler.Compile($"client block {{ from: {from} to: 192.0.2.1 port = 80 }}");
        Assert.True(result.Table is not null, string.Join("\n", result.Diagnostics));
        return Assert.Single(result.Table.Rules);
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0", 8)]
    [InlineData("192.0.2.7/32", "192.0.2.7", 32)]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0)]
    [InlineData("10.0.0.0/255.0.0.0", "10.0.0.0", 8)]
    [InlineData("10.0.0.0/255.255.240.0", "10.0.0.0", 20)]
    [InlineData("10.0.0.0/0.0.0.0", "0.0.0.0", 0)]
    [InlineData("2001:db8::/32", "2001:db8::", 32)]
    [InlineData("::1/128", "::1", 128)]
    [InlineData("::/0", "::", 0)]
    [InlineData("fe80::1%2/128", "fe80::1", 128)]
    public void Networks_with_a_netmask(string text, string network, int prefix)
    {
        var pattern = Assert.IsType<NetworkPattern>(CompileFrom(text).From.Address);
        Assert.Equal(IPAddress.Parse(network), pattern.Network);
        Assert.Equal(prefix, pattern.PrefixLength);
    }

    [Fact]
    public void Zero_slash_zero_is_every_family()
    {
        Assert.Same(AnyAddressPattern.Instance, CompileFrom("0/0").From.Address);
    }

    [Fact]
    public void Host_bits_are_cleared_with_a_warning()
    {
        var result = TestCompiler.Compile("client block { from: 10.1.2.3/16 to: 192.0.2.1 port = 80 }");
        var pattern = Assert.IsType<NetworkPattern>(Assert.Single(result.Table!.Rules).From.Address);
        Assert.Equal("10.1.0.0/16", pattern.ToString());
        Assert.Equal(["1:22: warning: from: 10.1.2.3/16 has host bits set; it means 10.1.0.0/16"], result.Diagnostics.Select(TestCompiler.Format));
    }

    [Theory]
    [InlineData("Backend.Example", "backend.example")]
    [InlineData("host_1.example", "host_1.example")]
    [InlineData("localhost", "localhost")]
    public void Hostnames_are_kept_for_lookup_when_used(string text, string name) =>
        Assert.Equal(new HostnamePattern(name), CompileFrom(text).From.Address);

    [Fact]
    public void Domain_suffix_drops_the_dot() =>
        Assert.Equal(new DomainPattern("partner.example"), CompileFrom(".partner.example").From.Address);

    [Theory]
    [InlineData("10.0.0.0/8/8", "1:31: error: invalid netmask: '8/8' is not a number (expected decimal digits, or 0x and hex digits)")]
    [InlineData("1.2.3.4.5/32", "1:22: error: invalid IPv4 address '1.2.3.4.5' (expected four numbers 0-255, like 192.0.2.1)")]
    [InlineData("10.0.0.0/", "1:31: error: empty netmask in '10.0.0.0/' (expected /bits or a dotted mask)")]
    [InlineData("10.0.0.0/08", "1:31: error: invalid netmask: number '08' has a leading zero (Barefoot reads it as octal); write it without the zero, or as 0x hex")]
    [InlineData("10.0.0.0/255.255.0.255", "1:31: error: non-contiguous netmask '255.255.0.255' (the one bits must come first, like 255.255.0.0)")]
    [InlineData("10.0.0.0/255.0.0", "1:31: error: invalid IPv4 netmask '255.0.0' (expected four numbers 0-255, like 192.0.2.1)")]
    [InlineData("10.0.0.0/255._0.0.0", "1:31: error: invalid IPv4 netmask '255._0.0.0' (expected four numbers 0-255, like 192.0.2.1)")]
    [InlineData("bad..name", "1:22: error: invalid address 'bad..name' (expected an IP address, a hostname, an interface name or .domain)")]
    [InlineData("-bad.example", "1:16: error: from: needs an address first (like 10.0.0.0/8 or 0/0)")]
    [InlineData("mail.example/24", "1:34: error: netmask not allowed on a name ('mail.example/24'); a netmask belongs to an IP address")]
    [InlineData(".", "1:22: error: invalid domain '.' (expected a dot and a domain name, like .partner.example)")]
    [InlineData("::ffff:10.0.0.1/128", "1:22: error: IPv4-mapped IPv6 address '::ffff:10.0.0.1' is not allowed; write the IPv4 address 10.0.0.1")]
    [InlineData("10.0.0.1", "1:22: error: from: 10.0.0.1 needs a netmask (add /32 for one host)")]
    [InlineData("2001:db8::1", "1:22: error: from: 2001:db8::1 needs a netmask (add /128 for one host)")]
    public void Bad_from_addresses(string text, string expected)
    {
        var result = TestCompiler.Compile($"client block {{ from: {text} to: 192.0.2.1 port = 80 }}");
        Assert.Null(result.Table);
        Assert.Equal(expected, TestCompiler.Format(result.Diagnostics.First(d => d.IsError)));
    }

    [Theory]
    [InlineData("192.0.2.10", "192.0.2.10:80")]
    [InlineData("::1", "[::1]:80")]
    [InlineData("0.0.0.0", "0.0.0.0:80")]
    [InlineData("::", "[::]:80")]
    [InlineData("eth0", "192.0.2.1:80 [2001:db8::1]:80")]
    [InlineData("lo", "127.0.0.1:80 [::1]:80")]
    [InlineData("v4only.example", "192.0.2.30:80")]
    public void To_addresses_expand_to_listen_endpoints(string text, string endpoints)
    {
        var result = TestCompiler.Compile($"client block {{ from: 0/0 to: {text} port = 80 }}");
        Assert.True(result.Table is not null, string.Join("\n", result.Diagnostics));
        Assert.Equal(endpoints, string.Join(" ", Assert.Single(result.Table.Rules).To.Endpoints));
    }

    [Fact]
    public void External_protocol_filters_external_names()
    {
        var result = TestCompiler.Compile("external.protocol: ipv4\nexternal: eth0 mail.internal.example\nclient block { from: 0/0 to: ::1 port = 80 }");
        Assert.Equal(["192.0.2.1", "192.0.2.25"], result.Table!.Settings.Externals.Select(a => a.ToString()));
    }
}
