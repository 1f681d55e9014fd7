using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Tests;

public sealed class MappedAddressTests
{
    [Theory]
    [InlineData("::ffff:198.51.100.7", "198.51.100.7")]
    [InlineData("198.51.100.7", "198.51.100.7")]
    [InlineData("2001:db8::7", "2001:db8::7")]
    [InlineData("::1", "::1")]
    public void Only_ipv4_mapped_addresses_become_ipv4(string address, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), MappedAddress.Unmap(IPAddress.Parse(address)));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(expected), 80), MappedAddress.Unmap(new IPEndPoint(IPAddress.Parse(address), 80)));
    }

    [Fact]
    public void An_unmapped_endpoint_is_returned_as_it_is()
    {
        var endpoint = new IPEndPoint(IPAddress.Parse("2001:db8::7"), 80);

        Assert.Same(endpoint, MappedAddress.Unmap(endpoint));
    }
}
