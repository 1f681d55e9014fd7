using System.Collections.Concurrent;
using System.Net;
using Bouncer.Rules.Compile;
using Bouncer.Rules.Environment;

namespace Bouncer.Rules.Tests;

public sealed class SystemNetworkSnapshotTests
{
    [Fact]
    public void A_snapshot_answers_as_the_host_does()
    {
        var snapshot = SystemNetworkEnvironment.Instance.Snapshot();

        Assert.Contains(IPAddress.Loopback, snapshot.GetInterfaceAddresses("lo")!);
        Assert.Equal(SystemNetworkEnvironment.Instance.GetInterfaceAddresses("lo"), snapshot.GetInterfaceAddresses("lo"));
        Assert.Null(snapshot.GetInterfaceAddresses("nosuchif0"));
        Assert.Contains(IPAddress.Loopback, snapshot.ResolveHost("localhost"));
    }

    [Fact]
    public void The_lookup_answers_as_the_runtimes_resolver_does()
    {
        // Names the host answers itself (/etc/hosts, and its own name with every interface
        // address), so the answer needs no DNS.
        foreach (var name in new[] { "localhost", Dns.GetHostName(), Dns.GetHostName().ToUpperInvariant() })
        {
            Assert.Equal(Dns.GetHostAddresses(name).Distinct(), SystemNetworkEnvironment.Instance.ResolveHost(name));
        }

        Assert.Equal(Dns.GetHostAddresses("localhost").Distinct(), SystemHostLookup.Resolve("localhost"));

        // A name that cannot be one (a label over 63 characters) resolves to nothing, without an exception.
        Assert.Empty(SystemHostLookup.Resolve(new string('x', 64) + ".invalid"));
    }

    [Fact]
    public void A_snapshot_looks_each_name_up_once()
    {
        var snapshot = SystemNetworkEnvironment.Instance.Snapshot();

        Assert.Same(snapshot.ResolveHost("localhost"), snapshot.ResolveHost("localhost"));
        Assert.Same(snapshot.GetInterfaceAddresses("lo"), snapshot.GetInterfaceAddresses("lo"));
        Assert.Same(snapshot, snapshot.Snapshot());
    }

    [Fact]
    public void A_compile_reads_the_interfaces_once_and_resolves_each_distinct_name_once()
    {
        // 3,000 distinct unknown names, each written twice, among interfaces and known hosts.
        var unknown = Enumerable.Range(0, 3000).Select(i => $"if{i}").ToArray();
        var external = string.Join(' ', unknown.Concat(unknown).Concat(["eth0", "lo", "mail.internal.example", "mail.internal.example"]));
        var text = $$"""
            external: {{external}}
            client pass {
                from: 0/0
                to: v4only.example port = 80
                bounce to: 192.0.2.9
            }
            client pass {
                from: 0/0
                to: v4only.example port = 81
                bounce to: 192.0.2.9
            }
            client pass {
                from: 0/0
                to: nosuchhost.example port = 82
                bounce to: 192.0.2.9
            }
            """;
        var host = new CountingHost();

        var counted = RuleFile.Parse(text, "names.conf", host, ServiceNames.BuiltIn);
        var fixedHost = RuleFile.Parse(text, "names.conf", FakeNetworkEnvironment.Instance, ServiceNames.BuiltIn);

        Assert.Equal(1, host.InterfaceReads);
        Assert.Equal(unknown.Length + 3, host.Lookups.Count);
        Assert.All(host.Lookups, pair => Assert.Equal(1, pair.Value));
        Assert.DoesNotContain("eth0", host.Lookups.Keys);
        // The same diagnostics, in the same order and at the same positions, as without the look-ahead.
        Assert.Equal(fixedHost.Diagnostics.Select(TestCompiler.Format), counted.Diagnostics.Select(TestCompiler.Format));
        // Every occurrence is still an error of its own: 6,001, of which the first 100 are shown.
        Assert.Equal("too many errors: 5901 more not shown", counted.Diagnostics[^1].Message);
    }

    /// <summary>The fixed host behind a real snapshot, counting what the snapshot asks of it.</summary>
    private sealed class CountingHost : INetworkEnvironment
    {
        private int _interfaceReads;

        public int InterfaceReads => _interfaceReads;

        public ConcurrentDictionary<string, int> Lookups { get; } = new(StringComparer.Ordinal);

        public IReadOnlyList<IPAddress>? GetInterfaceAddresses(string name) => FakeNetworkEnvironment.Instance.GetInterfaceAddresses(name);

        public IReadOnlyList<IPAddress> ResolveHost(string hostname) => FakeNetworkEnvironment.Instance.ResolveHost(hostname);

        public INetworkEnvironment Snapshot() => new SystemNetworkSnapshot(ReadInterfaces, Resolve);

        private IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> ReadInterfaces()
        {
            Interlocked.Increment(ref _interfaceReads);
            return new[] { "eth0", "lo", "dummy0" }.ToDictionary(n => n, n => GetInterfaceAddresses(n)!, StringComparer.Ordinal);
        }

        private IReadOnlyList<IPAddress> Resolve(string hostname)
        {
            Lookups.AddOrUpdate(hostname, 1, (_, n) => n + 1);
            return ResolveHost(hostname);
        }
    }
}
