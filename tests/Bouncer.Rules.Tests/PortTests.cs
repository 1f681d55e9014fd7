using Bouncer.Rules.Model;

namespace Bouncer.Rules.Tests;

/// <summary>Port clauses of design §2.3.</summary>
public sealed class PortTests
{
    private static PortMatch FromPort(string clause)
    {
        var result = TestCompiler.Compile($"client block {{ from: 0/0 {clause} to: 192.0.2.1 port = 80 }}");
        Assert.True(result.Table is not null, string.Join("\n", result.Diagnostics));
        return Assert.Single(result.Table.Rules).From.Port;
    }

    [Theory]
    [InlineData("port = 80", PortOperator.Equal, 80, 80)]
    [InlineData("port=80", PortOperator.Equal, 80, 80)]
    [InlineData("port eq 80", PortOperator.Equal, 80, 80)]
    [InlineData("port != 80", PortOperator.NotEqual, 80, 80)]
    [InlineData("port ne 80", PortOperator.NotEqual, 80, 80)]
    [InlineData("port neq 80", PortOperator.NotEqual, 80, 80)]
    [InlineData("port < 80", PortOperator.Less, 80, 80)]
    [InlineData("port lt 80", PortOperator.Less, 80, 80)]
    [InlineData("port > 80", PortOperator.Greater, 80, 80)]
    [InlineData("port gt 80", PortOperator.Greater, 80, 80)]
    [InlineData("port <= 80", PortOperator.LessOrEqual, 80, 80)]
    [InlineData("port le 80", PortOperator.LessOrEqual, 80, 80)]
    [InlineData("port >= 80", PortOperator.GreaterOrEqual, 80, 80)]
    [InlineData("port ge 80", PortOperator.GreaterOrEqual, 80, 80)]
    [InlineData("port 1024-65535", PortOperator.Range, 1024, 65535)]
    [InlineData("port 1024 - 65535", PortOperator.Range, 1024, 65535)]
    [InlineData("port 1024 -65535", PortOperator.Range, 1024, 65535)]
    [InlineData("port 1024- 65535", PortOperator.Range, 1024, 65535)]
    [InlineData("port 0-0", PortOperator.Range, 0, 0)]
    [InlineData("port http-https", PortOperator.Range, 80, 443)]
    [InlineData("port = 0x50", PortOperator.Equal, 80, 80)]
    [InlineData("port = 0", PortOperator.Equal, 0, 0)]
    [InlineData("port = 65535", PortOperator.Equal, 65535, 65535)]
    [InlineData("port = ftp-data", PortOperator.Equal, 20, 20)]
    public void Every_operator_and_range_form(string clause, PortOperator op, int low, int high) =>
        Assert.Equal(new PortMatch(op, low, high), FromPort(clause));

    [Fact]
    public void From_without_a_port_matches_any_port() =>
        Assert.Equal(PortMatch.Any, FromPort(string.Empty));

    [Fact]
    public void Port_colon_means_equal_with_a_warning()
    {
        var result = TestCompiler.Compile("client block { from: 0/0 port: 53 to: 192.0.2.1 port = 80 }");
        Assert.Equal(PortMatch.Exactly(53), result.Table!.Rules[0].From.Port);
        Assert.Equal(
            ["1:26: warning: 'port: 53' is read as 'port = 53' (Barefoot reads 'port:' as any port); write 'port = 53'"],
            result.Diagnostics.Select(TestCompiler.Format));
    }

    [Theory]
    [InlineData("port = 65536", "1:33: error: port 65536 is out of range (0-65535)")]
    [InlineData("port = 0x10000", "1:33: error: port 0x10000 is out of range (0-65535)")]
    [InlineData("port = 08", "1:33: error: number '08' has a leading zero (Barefoot reads it as octal); write it without the zero, or as 0x hex")]
    [InlineData("port 9-1", "1:31: error: reversed port range 9-1 (write the low port first: 1-9)")]
    [InlineData("port 1-70000", "1:33: error: port 70000 is out of range (0-65535)")]
    [InlineData("port = nosuch", "1:33: error: unknown service name 'nosuch' (not a port number, nor in the built-in table or /etc/services)")]
    [InlineData("port 80", "1:31: error: expected an operator or a range after 'port', found '80' alone (write 'port = 80')")]
    [InlineData("port", "1:31: error: expected a port operator (=, !=, <, >, <=, >=, eq, ne, neq, lt, gt, le, ge), ':' or a range after 'port', found 'to'")]
    [InlineData("port =", "1:33: error: expected a port number or service name, found 'to'")]
    [InlineData("port 1 -", "1:35: error: expected a port number or service name, found 'to'")]
    [InlineData("port = 1 port = 2", "1:35: error: from: takes one port clause; found 'port = 2' as well")]
    public void Bad_ports(string clause, string expected)
    {
        var result = TestCompiler.Compile($"client block {{ from: 0/0 {clause} to: 192.0.2.1 port = 80 }}");
        Assert.Null(result.Table);
        Assert.Equal(expected, TestCompiler.Format(result.Diagnostics.First(d => d.IsError)));
    }
}
