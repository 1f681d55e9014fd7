using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Tests;

/// <summary>The lexer and the grammar on their own: tokens, positions, recovery.</summary>
public sealed class GrammarTests
{
    private static string Kinds(string text) =>
        string.Join(" ", Lexer.Tokenize(text, "t").Select(t => t.Kind == TokenKind.Word ? t.Text : t.Kind == TokenKind.End ? "$" : $"<{t.Text}>"));

    [Theory]
    [InlineData("from:10.0.0.0/8", "from <:> 10.0.0.0/8 $")]
    [InlineData("to:::1 port=80", "to <:> ::1 port <=> 80 $")]
    [InlineData("to: 2001:db8::1 port: 80", "to <:> 2001:db8::1 port <:> 80 $")]
    [InlineData("from: fe80::1%eth0/64", "from <:> fe80::1%eth0/64 $")]
    [InlineData("from: 2001:db8:::1/64", "from <:> 2001:db8:::1/64 $")]
    [InlineData("log : connect", "log <:> connect $")]
    [InlineData("port 1024-65535", "port 1024-65535 $")]
    [InlineData("port 1024 -65535", "port 1024 <-> 65535 $")]
    [InlineData("port 1024- 65535", "port 1024 <-> 65535 $")]
    [InlineData("port>=1 port<=2 port!=3 port<4 port>5", "port <>=> 1 port <<=> 2 port <!=> 3 port <<> 4 port <>> 5 $")]
    [InlineData("client pass{x}", "client pass <{> x <}> $")]
    [InlineData("a # comment { } :\nb", "a b $")]
    [InlineData("a\\\nb", "a b $")]
    [InlineData("a\\\r\nb", "a b $")]
    [InlineData("a!b", "a <!> b $")]
    public void Tokens(string text, string expected) => Assert.Equal(expected, Kinds(text));

    [Fact]
    public void Positions_count_lines_and_columns_from_one()
    {
        var tokens = Lexer.Tokenize("a\n  bb: c\r\n\tdd", "t");
        Assert.Equal(
            ["1:1", "2:3", "2:5", "2:7", "3:2", "3:4"],
            tokens.Select(t => $"{t.Position.Line}:{t.Position.Column}"));
    }

    [Fact]
    public void Reads_settings_objects_and_port_clauses_into_syntax()
    {
        var file = RuleGrammar.Parse(Lexer.Tokenize("debug: 1\nclient pass { from: 0/0 port 1 - 2 bounce to: x port eq 3 }", "t"), "t");
        Assert.Collection(
            file.Items,
            item => Assert.Equal("debug", Assert.IsType<OptionSyntax>(item).Keyword),
            item =>
            {
                var obj = Assert.IsType<ObjectSyntax>(item);
                Assert.Equal("client pass", obj.HeaderText);
                Assert.Equal(["from", "bounce to"], obj.Body.Cast<OptionSyntax>().Select(o => o.Keyword));
                var range = Assert.IsType<PortSyntax>(((OptionSyntax)obj.Body[0]).Values[1]);
                Assert.Equal(("", "1", "2"), (range.Operator, range.Low.Text, range.High!.Text));
                var equal = Assert.IsType<PortSyntax>(((OptionSyntax)obj.Body[1]).Values[1]);
                Assert.Equal(("eq", "3"), (equal.Operator, equal.Low.Text));
            });
    }

    [Fact]
    public void Recovers_inside_a_rule_and_keeps_reading_the_next_option()
    {
        var file = RuleGrammar.Parse(Lexer.Tokenize("client pass { from 1 2 to: x port = 1 = log: connect }", "t"), "t");
        var obj = Assert.IsType<ObjectSyntax>(Assert.Single(file.Items));
        Assert.Collection(
            obj.Body,
            item => Assert.Equal("expected ':' after 'from', found '1'", Assert.IsType<ErrorSyntax>(item).Message),
            item => Assert.Equal("to", Assert.IsType<OptionSyntax>(item).Keyword),
            item => Assert.Equal("expected a rule option (keyword:), found '='", Assert.IsType<ErrorSyntax>(item).Message),
            item => Assert.Equal("log", Assert.IsType<OptionSyntax>(item).Keyword));
    }

    private const string AfterPort = "a port operator (=, !=, <, >, <=, >=, eq, ne, neq, lt, gt, le, ge), ':' or a range after 'port'";

    /// <summary>Each way an option can go wrong inside a rule: the message, where it points, and that the next option is still read.</summary>
    [Theory]
    [InlineData("from: 0/0 port\n  log: x", $"expected {AfterPort}, found 'log'", "3:3")]
    [InlineData("from: 0/0 port", $"expected {AfterPort}, found '}}'", "3:1")]
    [InlineData("from: 0/0 port = to: x\n  log: x", "expected a port number or service name, found 'to'", "2:20")]
    [InlineData("from: 0/0 port: =\n  log: x", "expected a port number or service name, found '='", "2:19")]
    [InlineData("from: 0/0 port eq\n  log: x", "expected a port number or service name, found 'log'", "3:3")]
    [InlineData("from: 0/0 port 1 - to: x\n  log: x", "expected a port number or service name, found 'to'", "2:22")]
    [InlineData("from 1\n  log: x", "expected ':' after 'from', found '1'", "2:8")]
    [InlineData("bounce to 10.0.0.1\n  log: x", "expected ':' after 'bounce', found 'to'", "2:10")]
    [InlineData("= 1\n  log: x", "expected a rule option (keyword:), found '='", "2:3")]
    [InlineData("log: connect - x\n  log: x", "expected a rule option (keyword:), found '-'", "2:16")]
    public void Reports_a_bad_option_where_it_goes_wrong_and_reads_on(string option, string message, string at)
    {
        var file = RuleGrammar.Parse(Lexer.Tokenize($"client pass {{\n  {option}\n}}\n", "t"), "t");
        var obj = Assert.IsType<ObjectSyntax>(Assert.Single(file.Items));
        var error = Assert.Single(obj.Body.OfType<ErrorSyntax>());
        Assert.Equal((message, at), (error.Message, $"{error.Position.Line}:{error.Position.Column}"));
        if (option.Contains('\n', StringComparison.Ordinal))
        {
            Assert.Equal("log", Assert.IsType<OptionSyntax>(obj.Body[^1]).Keyword);
        }
    }

    /// <summary>Settings go through the same option reader as rule options, with the top level's recovery.</summary>
    [Theory]
    [InlineData("timeout.io 5\ndebug: 1\n", "expected ':' after 'timeout.io', found '5'", "1:12")]
    [InlineData("logoutput: stderr port\ndebug: 1\n", $"expected {AfterPort}, found 'debug'", "2:1")]
    [InlineData("= 1\ndebug: 1\n", "expected a setting (keyword:) or a rule (client pass { ... }), found '='", "1:1")]
    public void Reports_a_bad_setting_and_reads_on(string text, string message, string at)
    {
        var file = RuleGrammar.Parse(Lexer.Tokenize(text, "t"), "t");
        Assert.Collection(
            file.Items,
            item =>
            {
                var error = Assert.IsType<ErrorSyntax>(item);
                Assert.Equal((message, at), (error.Message, $"{error.Position.Line}:{error.Position.Column}"));
            },
            item => Assert.Equal("debug", Assert.IsType<OptionSyntax>(item).Keyword));
    }

    [Theory]
    [InlineData("port = 80", "=", "80", null)]
    [InlineData("port: 80", ":", "80", null)]
    [InlineData("port eq http", "eq", "http", null)]
    [InlineData("port 1024-65535", "", "1024-65535", null)]
    [InlineData("port 1024 - 65535", "", "1024", "65535")]
    [InlineData("PORT >= 1024", ">=", "1024", null)]
    public void Reads_each_form_of_port_clause(string clause, string op, string low, string? high)
    {
        var file = RuleGrammar.Parse(Lexer.Tokenize($"client pass {{ from: 0/0 {clause} to: x }}", "t"), "t");
        var from = Assert.IsType<OptionSyntax>(Assert.IsType<ObjectSyntax>(Assert.Single(file.Items)).Body[0]);
        var port = Assert.IsType<PortSyntax>(from.Values[1]);
        Assert.Equal((op, low, high), (port.Operator, port.Low.Text, port.High?.Text));
        Assert.Equal(2, from.Values.Length);
    }
}
