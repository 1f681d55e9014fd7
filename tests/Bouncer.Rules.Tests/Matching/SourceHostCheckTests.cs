using System.Net;
using System.Net.Sockets;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Tests.Matching;

/// <summary>
/// <see cref="SourceHostCheck"/>, the one <c>srchost</c> implementation the engine runs, against a
/// resolver that answers exactly (case-sensitive, trailing dots kept) or throws, as told.
/// </summary>
public sealed class SourceHostCheckTests
{
    private const int Timeout = 10_000;
    private static readonly IPAddress Client = IPAddress.Parse("198.51.100.7");
    private const SourceHostChecks Both = SourceHostChecks.NoDnsUnknown | SourceHostChecks.NoDnsMismatch;

    [Fact(Timeout = Timeout)]
    public async Task A_name_that_resolves_elsewhere_is_a_mismatch()
    {
        var resolver = new ScriptedResolver(_ => "www.bank.example", _ => [IPAddress.Parse("203.0.113.1")]);

        var refusal = await new SourceHostCheck(resolver).RefusalAsync(SourceHostChecks.NoDnsMismatch, Client);

        Assert.Equal("srchost nodnsmismatch: www.bank.example does not resolve to the client", refusal);
        Assert.Null(await new SourceHostCheck(resolver).RefusalAsync(SourceHostChecks.NoDnsUnknown, Client));
    }

    [Fact(Timeout = Timeout)]
    public async Task A_client_without_a_name_is_unknown()
    {
        var resolver = new ScriptedResolver(_ => null, _ => throw new InvalidOperationException("not asked"));

        Assert.Equal("srchost nodnsunknown: client has no reverse name", await new SourceHostCheck(resolver).RefusalAsync(Both, Client));
        Assert.Null(await new SourceHostCheck(resolver).RefusalAsync(SourceHostChecks.NoDnsMismatch, Client));
        Assert.Equal(0, resolver.ForwardLookups);
    }

    [Fact(Timeout = Timeout)]
    public async Task A_reverse_lookup_that_throws_counts_as_unknown()
    {
        var resolver = new ScriptedResolver(_ => throw new SocketException((int)SocketError.TryAgain), _ => []);

        Assert.Equal("srchost nodnsunknown: client has no reverse name", await new SourceHostCheck(resolver).RefusalAsync(Both, Client));
        Assert.True(await new SourceHostCheck(resolver).PassesAsync(SourceHostChecks.NoDnsMismatch, Client));
    }

    [Fact(Timeout = Timeout)]
    public async Task A_forward_lookup_that_throws_is_a_mismatch()
    {
        var resolver = new ScriptedResolver(_ => "host.partner.example", _ => throw new SocketException((int)SocketError.HostNotFound));

        Assert.Equal("srchost nodnsmismatch: host.partner.example does not resolve to the client", await new SourceHostCheck(resolver).RefusalAsync(Both, Client));
    }

    [Theory(Timeout = Timeout)]
    [InlineData("host.partner.example.")]
    [InlineData("Host.Partner.EXAMPLE")]
    [InlineData("HOST.partner.example.")]
    public async Task The_reverse_name_is_resolved_without_trailing_dot_and_in_lower_case(string reverseName)
    {
        var resolver = new ScriptedResolver(
            _ => reverseName,
            name => name == "host.partner.example" ? [Client] : []);

        Assert.Null(await new SourceHostCheck(resolver).RefusalAsync(Both, Client));
        Assert.Equal(["host.partner.example"], resolver.ForwardNames);
    }

    [Theory(Timeout = Timeout)]
    [InlineData("198.51.100.7")]
    [InlineData("198.51.100.7.")]
    [InlineData("::ffff:198.51.100.7")]
    public async Task An_address_given_back_as_the_name_is_no_name(string answer)
    {
        var resolver = new ScriptedResolver(_ => answer, _ => [Client]);

        Assert.Equal("srchost nodnsunknown: client has no reverse name", await new SourceHostCheck(resolver).RefusalAsync(Both, Client));
        Assert.True(await new SourceHostCheck(resolver).PassesAsync(SourceHostChecks.NoDnsMismatch, Client));
        Assert.Equal(0, resolver.ForwardLookups);
    }

    [Fact(Timeout = Timeout)]
    public async Task An_ipv4_mapped_client_is_looked_up_and_compared_as_ipv4()
    {
        var resolver = new ScriptedResolver(
            address => address.Equals(Client) ? "host.partner.example" : null,
            _ => [IPAddress.Parse("::ffff:198.51.100.7")]);

        Assert.Null(await new SourceHostCheck(resolver).RefusalAsync(Both, IPAddress.Parse("::ffff:198.51.100.7")));
    }

    [Fact(Timeout = Timeout)]
    public async Task Cancellation_of_the_caller_escapes()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var resolver = new ScriptedResolver(_ => "host.partner.example", _ => [Client]);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await new SourceHostCheck(resolver).RefusalAsync(Both, Client, cancelled.Token));
    }

    /// <summary>Answers from the given functions, which may throw; forward names are recorded as asked.</summary>
    private sealed class ScriptedResolver(Func<IPAddress, string?> reverse, Func<string, IPAddress[]> forward) : INameResolver
    {
        private readonly List<string> _forwardNames = [];

        public IReadOnlyList<string> ForwardNames => _forwardNames;

        public int ForwardLookups => _forwardNames.Count;

        public async ValueTask<string?> ReverseLookupAsync(IPAddress address, CancellationToken cancellationToken)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            return reverse(address);
        }

        public async ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string hostname, CancellationToken cancellationToken)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            _forwardNames.Add(hostname);
            return forward(hostname);
        }
    }
}
