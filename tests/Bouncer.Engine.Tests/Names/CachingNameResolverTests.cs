using System.Net;
using Bouncer.Engine.Names;
using Bouncer.Engine.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Bouncer.Engine.Tests.Names;

/// <summary>The engine's name cache, on a clock the test steps.</summary>
public sealed class CachingNameResolverTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly FakeResolver _inner = new();
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_name_is_looked_up_once_within_its_lifetime_and_again_after_it()
    {
        var cache = new CachingNameResolver(_inner, Lifetime, _time);
        _inner.Hosts["backend.example"] = [IPAddress.Parse("192.0.2.1")];

        Assert.Equal([IPAddress.Parse("192.0.2.1")], await cache.ResolveAsync("backend.example", default));
        _inner.Hosts["backend.example"] = [IPAddress.Parse("192.0.2.2")];
        _time.Advance(Lifetime - TimeSpan.FromMilliseconds(1));
        Assert.Equal([IPAddress.Parse("192.0.2.1")], await cache.ResolveAsync("BACKEND.example", default));
        Assert.Equal(1, _inner.ForwardLookups);

        // A moved service is followed once the entry has expired.
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([IPAddress.Parse("192.0.2.2")], await cache.ResolveAsync("backend.example", default));
        Assert.Equal(2, _inner.ForwardLookups);
    }

    [Fact]
    public async Task Reverse_names_expire_the_same_way()
    {
        var cache = new CachingNameResolver(_inner, Lifetime, _time);
        var client = IPAddress.Parse("192.0.2.7");
        _inner.ReverseNames[client] = "old.example";

        Assert.Equal("old.example", await cache.ReverseLookupAsync(client, default));
        _inner.ReverseNames[client] = "new.example";
        Assert.Equal("old.example", await cache.ReverseLookupAsync(client, default));
        _time.Advance(Lifetime);
        Assert.Equal("new.example", await cache.ReverseLookupAsync(client, default));
    }
}
