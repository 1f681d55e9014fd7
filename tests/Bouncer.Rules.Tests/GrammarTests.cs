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
}
