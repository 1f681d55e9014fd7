using System.Net;
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
    public void A_snapshot_looks_each_name_up_once()
    {
        var snapshot = SystemNetworkEnvironment.Instance.Snapshot();

        Assert.Same(snapshot.ResolveHost("localhost"), snapshot.ResolveHost("localhost"));
        Assert.Same(snapshot.GetInterfaceAddresses("lo"), snapshot.GetInterfaceAddresses("lo"));
        Assert.Same(snapshot, snapshot.Snapshot());
    }
}
