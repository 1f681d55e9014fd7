using System.Collections.Immutable;
using System.Net;
using Bouncer.Engine.Diagnostics;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;
using Bouncer.Engine.Listening;
using Bouncer.Engine.Outgoing;
using Bouncer.Engine.Sessions;
using Bouncer.Engine.Tests.Support;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Matching;
using Bouncer.Rules.Model;
using static Bouncer.Engine.Tests.Support.RuleBuilder;
using Microsoft.Extensions.Time.Testing;

namespace Bouncer.Engine.Tests.Sessions;

/// <summary>
/// <see cref="SessionAdmission"/> on its own, without sockets: the first-match decision, block,
/// <c>srchost</c> with a resolver that answers from tables (or fails), limits, and the target and
/// source address of the outgoing side.
/// </summary>
public sealed class SessionAdmissionTests
{
    private const string NoReverseName = "srchost nodnsunknown: client has no reverse name";

    private static readonly IPEndPoint Listen = new(IPAddress.Parse("127.0.0.2"), 4000);
    private static readonly IPEndPoint Target = new(IPAddress.Parse("127.0.0.4"), 5000);
    private static readonly IPAddress ClientAddress = IPAddress.Parse("127.0.0.5");
    private static readonly IPEndPoint Client = new(ClientAddress, 40000);

    [Fact]
    public async Task The_first_rule_of_the_listener_that_matches_decides()
    {
        var table = Table(
            Pass(1, Listen, Target) with { From = From("10.0.0.0/8") },
            Pass(2, Listen, Target),
            Pass(3, Listen, Target));
        var admission = new Fixture(table);

        var decision = await admission.DecideAsync(TransportProtocol.Tcp, Client);

        Assert.Equal(2, decision.Rule.Number);
        Assert.Equal(TransportProtocol.Tcp, decision.Identity.Protocol);
        Assert.Equal(Client, decision.Identity.Client);
        Assert.Equal(Listen, decision.Identity.Local);
        Assert.Same(table.Settings, decision.Settings);
    }

    [Fact]
    public async Task A_client_no_rule_matches_is_blocked_without_detail()
    {
        var admission = new Fixture(Table(Pass(1, Listen, Target) with { From = From("10.0.0.0/8") }));

        var (decision, outcome) = await admission.DecideAndCheckAsync(Client);

        Assert.Same(Rule.ImplicitBlock, decision.Rule);
        Assert.False(outcome.IsAdmitted);
        Assert.Equal(EndReason.Blocked, outcome.Refusal);
        Assert.Null(outcome.Detail);
    }

    [Fact]
    public async Task A_block_rule_refuses_without_asking_the_resolver()
    {
        var resolver = new ScriptedResolver();
        var admission = new Fixture(Table(Checked(SourceHostChecks.NoDnsUnknown), Block(1, Listen)), resolver);

        var (_, outcome) = await admission.DecideAndCheckAsync(Client);

        Assert.Equal(EndReason.Blocked, outcome.Refusal);
        Assert.Null(outcome.Detail);
        Assert.Equal(0, resolver.Lookups);
    }

    [Fact]
    public async Task Srchost_mismatch_refuses_a_client_whose_name_resolves_elsewhere()
    {
        var resolver = new ScriptedResolver();
        resolver.ReverseNames[ClientAddress] = "www.bank.example";
        resolver.Hosts["www.bank.example"] = [IPAddress.Parse("203.0.113.1")];

        var outcome = await CheckSourceHostAsync(SourceHostChecks.NoDnsMismatch, resolver);

        Assert.Equal(EndReason.Blocked, outcome.Refusal);
        Assert.Equal("srchost nodnsmismatch: www.bank.example does not resolve to the client", outcome.Detail);
    }

    [Fact]
    public async Task Srchost_mismatch_admits_a_client_without_a_name_and_unknown_refuses_it()
    {
        var admitted = await CheckSourceHostAsync(SourceHostChecks.NoDnsMismatch, new ScriptedResolver());
        var refused = await CheckSourceHostAsync(SourceHostChecks.NoDnsUnknown, new ScriptedResolver());

        Assert.True(admitted.IsAdmitted);
        Assert.Equal(EndReason.Blocked, refused.Refusal);
        Assert.Equal(NoReverseName, refused.Detail);
    }

    [Fact]
    public async Task A_failing_reverse_lookup_is_an_unknown_name()
    {
        var resolver = new ScriptedResolver { ReverseFails = true };

        var refused = await CheckSourceHostAsync(SourceHostChecks.NoDnsUnknown, resolver);
        var admitted = await CheckSourceHostAsync(SourceHostChecks.NoDnsMismatch, resolver);

        Assert.Equal(NoReverseName, refused.Detail);
        Assert.True(admitted.IsAdmitted);
    }

    [Fact]
    public async Task A_failing_forward_lookup_is_a_mismatch()
    {
        var resolver = new ScriptedResolver { ForwardFails = true };
        resolver.ReverseNames[ClientAddress] = "client.example";

        var outcome = await CheckSourceHostAsync(SourceHostChecks.NoDnsMismatch, resolver);

        Assert.Equal(EndReason.Blocked, outcome.Refusal);
        Assert.Equal("srchost nodnsmismatch: client.example does not resolve to the client", outcome.Detail);
    }

    [Fact]
    public async Task A_reverse_name_with_a_trailing_dot_and_capitals_still_resolves_back()
    {
        var resolver = new ScriptedResolver();
        resolver.ReverseNames[ClientAddress] = "Client.Example.";
        resolver.Hosts["client.example"] = [ClientAddress];

        var outcome = await CheckSourceHostAsync(SourceHostChecks.NoDnsUnknown | SourceHostChecks.NoDnsMismatch, resolver);

        Assert.True(outcome.IsAdmitted);
        Assert.Equal(["client.example"], resolver.ForwardNames);
    }

    [Fact]
    public async Task An_address_given_back_as_the_reverse_name_is_no_name()
    {
        var resolver = new ScriptedResolver();
        resolver.ReverseNames[ClientAddress] = "127.0.0.5";

        var refused = await CheckSourceHostAsync(SourceHostChecks.NoDnsUnknown, resolver);
        var admitted = await CheckSourceHostAsync(SourceHostChecks.NoDnsMismatch, resolver);

        Assert.Equal(NoReverseName, refused.Detail);
        Assert.True(admitted.IsAdmitted);
        Assert.Empty(resolver.ForwardNames);
    }

    [Fact]
    public async Task An_ipv4_mapped_client_is_checked_by_its_ipv4_address()
    {
        var resolver = new ScriptedResolver();
        resolver.ReverseNames[ClientAddress] = "client.example";
        resolver.Hosts["client.example"] = [ClientAddress];

        var outcome = await CheckSourceHostAsync(
            SourceHostChecks.NoDnsUnknown | SourceHostChecks.NoDnsMismatch, resolver, new IPEndPoint(ClientAddress.MapToIPv6(), 40000));

        Assert.True(outcome.IsAdmitted);
    }

    [Fact]
    public async Task Cancellation_during_a_srchost_lookup_escapes()
    {
        var resolver = new ScriptedResolver { ReverseNeverAnswers = true };
        var admission = new Fixture(Table(Checked(SourceHostChecks.NoDnsUnknown), Pass(1, Listen, Target)), resolver);
        using var cancel = new CancellationTokenSource();
        var decision = await admission.DecideAsync(TransportProtocol.Tcp, Client);

        var checking = admission.Admission.CheckAsync(decision, cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => checking);
    }

    [Fact]
    public async Task Session_max_refuses_the_next_client_until_a_lease_is_given_back_and_warns_with_the_protocol()
    {
        var limited = Pass(1, Listen, Target) with { Protocols = Protocols.Both, Limits = SessionLimits.None with { Max = 1 } };
        var admission = new Fixture(Table(limited));

        var (_, first) = await admission.DecideAndCheckAsync(Client, TransportProtocol.Udp);
        var (_, second) = await admission.DecideAndCheckAsync(Client, TransportProtocol.Udp);
        first.Lease!.Dispose();
        var (_, third) = await admission.DecideAndCheckAsync(Client, TransportProtocol.Udp);

        Assert.True(first.IsAdmitted);
        Assert.False(second.IsAdmitted);
        Assert.Equal(EndReason.SessionLimitReached, second.Refusal);
        Assert.Equal("session.max", second.Detail);
        Assert.True(third.IsAdmitted);
        Assert.Equal(["warning: pass(1): session.max reached, refusing udp client 127.0.0.5"], admission.Log.Warnings);
    }

    [Fact]
    public async Task The_target_is_the_rules_address_and_the_reached_port_when_it_names_none()
    {
        var choice = await ChooseTargetAsync(Table(Pass(1, Listen, new IPEndPoint(Target.Address, 0))));

        Assert.True(choice.Found);
        Assert.Equal(new IPEndPoint(Target.Address, Listen.Port), choice.Target);
        Assert.Null(choice.Source);
    }

    [Fact]
    public async Task A_hostname_target_prefers_an_address_of_the_reached_family()
    {
        var resolver = new ScriptedResolver();
        resolver.Hosts["service.example"] = [IPAddress.IPv6Loopback, Target.Address];
        var rule = Pass(1, Listen, Target) with { Target = new BounceTarget(null, "service.example", 7000) };

        var choice = await ChooseTargetAsync(Table(rule), resolver);

        Assert.Equal(new IPEndPoint(Target.Address, 7000), choice.Target);
    }

    [Fact]
    public async Task A_hostname_that_does_not_resolve_is_no_target_with_the_name()
    {
        var rule = Pass(1, Listen, Target) with { Target = new BounceTarget(null, "gone.example", 7000) };

        var choice = await ChooseTargetAsync(Table(rule));

        Assert.False(choice.Found);
        Assert.Equal("Host not found: gone.example", choice.Detail);
    }

    [Fact]
    public async Task A_rule_without_a_target_has_none()
    {
        var choice = await ChooseTargetAsync(Table(Pass(1, Listen, Target) with { Target = null }));

        Assert.False(choice.Found);
        Assert.Equal("No bounce target", choice.Detail);
    }

    [Fact]
    public async Task The_source_address_is_the_rules_redirect_from_or_the_first_external_of_the_targets_family()
    {
        var redirect = IPAddress.Parse("127.0.0.9");
        var external = IPAddress.Parse("127.0.0.8");
        var settings = Settings.Defaults with { Externals = [IPAddress.IPv6Loopback, external], Rotation = ExternalRotation.None };

        var redirected = await ChooseTargetAsync(Table(settings, Pass(1, Listen, Target) with { RedirectFrom = redirect }));
        var external4 = await ChooseTargetAsync(Table(settings, Pass(1, Listen, Target)));

        Assert.Equal(redirect, redirected.Source);
        Assert.Equal(external, external4.Source);
    }

    private static Settings Checked(SourceHostChecks checks) => Settings.Defaults with { SourceHostChecks = checks };

    /// <summary>Decides and checks <see cref="Client"/> (or <paramref name="client"/>) under one pass rule with <paramref name="checks"/>.</summary>
    private static async Task<AdmissionOutcome> CheckSourceHostAsync(SourceHostChecks checks, ScriptedResolver resolver, IPEndPoint? client = null)
    {
        var admission = new Fixture(Table(Checked(checks), Pass(1, Listen, Target)), resolver);
        var (_, outcome) = await admission.DecideAndCheckAsync(client ?? Client);
        return outcome;
    }

    /// <summary>The target and source address <see cref="Client"/> gets under the first rule of <paramref name="table"/>.</summary>
    private static async Task<TargetChoice> ChooseTargetAsync(RuleTable table, ScriptedResolver? resolver = null)
    {
        var admission = new Fixture(table, resolver);
        return await admission.Admission.ChooseTargetAsync(await admission.DecideAsync(TransportProtocol.Tcp, Client), default);
    }

    /// <summary>A <see cref="SessionAdmission"/> over one table whose rules all listen on <see cref="Listen"/>.</summary>
    private sealed class Fixture
    {
        public Fixture(RuleTable table, INameResolver? resolver = null)
        {
            resolver ??= new ScriptedResolver();
            var snapshot = new ListenerSnapshot(table, ImmutableDictionary<ListenerKey, IListenerService>.Empty);
            Admission = new SessionAdmission(
                () => snapshot,
                new RuleMatcher(resolver),
                new SourceHostCheck(resolver),
                new LimitRegistry(Time),
                new RateLimitedLog(Log, TimeSpan.FromMinutes(10), Time),
                new TargetResolver(resolver),
                Time);
        }

        public SessionAdmission Admission { get; }

        public RecordingLog Log { get; } = new();

        public FakeTimeProvider Time { get; } = new();

        public ValueTask<SessionDecision> DecideAsync(TransportProtocol protocol, IPEndPoint client)
        {
            var key = new ListenerKey(protocol, new ListenEndpoint(Listen.Address, Listen.Port));
            return Admission.DecideAsync(key, client, Listen, Listen, default);
        }

        public async Task<(SessionDecision Decision, AdmissionOutcome Outcome)> DecideAndCheckAsync(
            IPEndPoint client, TransportProtocol protocol = TransportProtocol.Tcp)
        {
            var decision = await DecideAsync(protocol, client);
            return (decision, await Admission.CheckAsync(decision, default));
        }
    }

    /// <summary>Answers from tables; can fail every lookup of one kind, or leave reverse lookups pending until cancelled.</summary>
    private sealed class ScriptedResolver : INameResolver
    {
        private readonly List<string> _forwardNames = [];
        private int _lookups;

        public Dictionary<IPAddress, string> ReverseNames { get; } = [];

        public Dictionary<string, IPAddress[]> Hosts { get; } = new(StringComparer.OrdinalIgnoreCase);

        public bool ReverseFails { get; init; }

        public bool ForwardFails { get; init; }

        public bool ReverseNeverAnswers { get; init; }

        public int Lookups => _lookups;

        public IReadOnlyList<string> ForwardNames => _forwardNames;

        public async ValueTask<string?> ReverseLookupAsync(IPAddress address, CancellationToken cancellationToken)
        {
            _lookups++;
            if (ReverseNeverAnswers)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return ReverseFails
                ? throw new InvalidOperationException("resolver down")
                : ReverseNames.GetValueOrDefault(address);
        }

        public ValueTask<IReadOnlyList<IPAddress>> ResolveAsync(string hostname, CancellationToken cancellationToken)
        {
            _lookups++;
            _forwardNames.Add(hostname);
            return ForwardFails
                ? throw new InvalidOperationException("resolver down")
                : ValueTask.FromResult<IReadOnlyList<IPAddress>>(Hosts.TryGetValue(hostname, out var addresses) ? addresses : []);
        }
    }
}
