using System.Net;
using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Tests.Matching;

/// <summary>The <c>srchost: nodnsunknown nodnsmismatch</c> checks made after a pass.</summary>
public sealed class SourceHostCheckMatchTests
{
    private const int Timeout = 10_000;
    private const string Named = "198.51.100.7";
    private const string Unnamed = "198.51.100.8";
    private const string Spoofed = "198.51.100.9";
    private const string Broken = "198.51.100.10";
    private const string NamedV6 = "2001:db8::7";

    private static MatchFakeNameResolver Resolver() => new MatchFakeNameResolver()
        .WithReverse(Named, "host.partner.example.")
        .WithForward("host.partner.example", Named)
        .WithReverse(Spoofed, "www.bank.example")
        .WithForward("www.bank.example", "203.0.113.1")
        .WithReverse(NamedV6, "v6.partner.example")
        .WithForward("v6.partner.example", NamedV6)
        .Failing(Broken);

    [Theory(Timeout = Timeout)]
    [InlineData(SourceHostChecks.NoDnsUnknown, Named, true)]
    [InlineData(SourceHostChecks.NoDnsUnknown, Spoofed, true)]
    [InlineData(SourceHostChecks.NoDnsUnknown, Unnamed, false)]
    [InlineData(SourceHostChecks.NoDnsUnknown, Broken, false)]
    [InlineData(SourceHostChecks.NoDnsMismatch, Named, true)]
    [InlineData(SourceHostChecks.NoDnsMismatch, NamedV6, true)]
    [InlineData(SourceHostChecks.NoDnsMismatch, Spoofed, false)]
    [InlineData(SourceHostChecks.NoDnsMismatch, Unnamed, true)]
    [InlineData(SourceHostChecks.NoDnsUnknown | SourceHostChecks.NoDnsMismatch, Named, true)]
    [InlineData(SourceHostChecks.NoDnsUnknown | SourceHostChecks.NoDnsMismatch, Spoofed, false)]
    [InlineData(SourceHostChecks.NoDnsUnknown | SourceHostChecks.NoDnsMismatch, Unnamed, false)]
    [InlineData(SourceHostChecks.NoDnsUnknown | SourceHostChecks.NoDnsMismatch, "::ffff:198.51.100.7", true)]
    public async Task ChecksDecideWhetherTheClientPasses(SourceHostChecks checks, string client, bool passes)
    {
        var check = new SourceHostCheck(Resolver());

        Assert.Equal(passes, await check.PassesAsync(checks, IPAddress.Parse(client)));
    }

    [Fact(Timeout = Timeout)]
    public async Task NoChecksAskNothingAndAnswerAtOnce()
    {
        var resolver = Resolver();

        var pending = new SourceHostCheck(resolver).PassesAsync(SourceHostChecks.None, IPAddress.Parse(Unnamed));

        Assert.True(pending.IsCompletedSuccessfully);
        Assert.True(await pending);
        Assert.Equal(0, resolver.Lookups);
    }

    [Fact(Timeout = Timeout)]
    public async Task MismatchCheckResolvesTheReverseNameBack()
    {
        var resolver = Resolver();

        Assert.True(await new SourceHostCheck(resolver).PassesAsync(SourceHostChecks.NoDnsMismatch, IPAddress.Parse(Named)));
        Assert.Equal(1, resolver.ReverseLookups);
        Assert.Equal(1, resolver.ForwardLookups);
    }

    [Fact(Timeout = Timeout)]
    public async Task UnknownCheckAloneNeedsNoForwardLookup()
    {
        var resolver = Resolver();

        Assert.True(await new SourceHostCheck(resolver).PassesAsync(SourceHostChecks.NoDnsUnknown, IPAddress.Parse(Spoofed)));
        Assert.Equal(0, resolver.ForwardLookups);
    }
}
