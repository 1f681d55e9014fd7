using Bouncer.Rules.Compile;

namespace Bouncer.Rules.Tests;

public sealed class ServiceNameTests
{
    [Theory]
    [InlineData("http", 80)]
    [InlineData("https", 443)]
    [InlineData("domain", 53)]
    [InlineData("smtp", 25)]
    [InlineData("ssh", 22)]
    [InlineData("ftp-data", 20)]
    [InlineData("socks", 1080)]
    public void Built_in_table_knows_common_services(string name, int port)
    {
        Assert.True(ServiceNames.BuiltIn.TryGetPort(name, out var actual));
        Assert.Equal(port, actual);
    }

    [Theory]
    [InlineData("HTTP")]
    [InlineData("nosuchservice")]
    [InlineData("")]
    public void Unknown_names_are_not_found(string name) =>
        Assert.False(ServiceNames.BuiltIn.TryGetPort(name, out _));

    [Fact]
    public void Services_file_adds_names_and_aliases_but_built_in_entries_win()
    {
        var table = ServiceNames.Create("""
            # comment line
            gopher-x   7070/tcp   gx  gopherx   # a local service
            http       8000/tcp              # a conflicting local entry
            broken     notaport/tcp
            toolarge   70000/udp
            lonely
            """);
        Assert.True(table.TryGetPort("gopher-x", out var port));
        Assert.Equal(7070, port);
        Assert.True(table.TryGetPort("gx", out port));
        Assert.Equal(7070, port);
        Assert.True(table.TryGetPort("http", out port));
        Assert.Equal(80, port);
        Assert.False(table.TryGetPort("broken", out _));
        Assert.False(table.TryGetPort("toolarge", out _));
        Assert.False(table.TryGetPort("lonely", out _));
    }

    [Fact]
    public void Unknown_service_in_a_rule_names_it()
    {
        Assert.Equal(
            "1:46: error: unknown service name 'nosuchsvc' (not a port number, nor in the built-in table or /etc/services)",
            TestCompiler.SingleError("client pass { from: 0/0 to: 192.0.2.1 port = nosuchsvc bounce to: 10.1.1.1 }"));
    }
}
