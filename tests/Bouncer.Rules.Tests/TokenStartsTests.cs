using System.Runtime.CompilerServices;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Tests;

/// <summary>The lexer's last pass: which words begin a keyword or an object, the lookahead the grammar relies on.</summary>
public sealed class TokenStartsTests
{
    private static string Starts(string text) =>
        string.Join(" ", Lexer.Tokenize(text, "t")
            .Where(t => t.Kind == TokenKind.Word)
            .Select(t => t.Starts == TokenStarts.None ? t.Text : $"{t.Text}<{t.Starts}>"));

    [Theory]
    [InlineData("from: 0/0", "from<Keyword> 0/0")]
    [InlineData("log : connect error", "log<Keyword> connect error")]
    [InlineData("bounce to: x", "bounce<Keyword, TwoWordKeyword> to<Keyword> x")]
    [InlineData("Redirect from: x", "Redirect<Keyword, TwoWordKeyword> from<Keyword> x")]
    [InlineData("bounce: x", "bounce<Keyword> x")]
    [InlineData("bounce to 10.0.0.1", "bounce to 10.0.0.1")]
    [InlineData("client pass { }", "client<Object> pass<Object>")]
    [InlineData("route { }", "route<Object>")]
    [InlineData("client pass from: 0/0", "client<Object> pass from<Keyword> 0/0")]
    [InlineData("client: x", "client<Keyword> x")]
    [InlineData("socks block", "socks<Object> block")]
    [InlineData("Client pass {", "Client<Object> pass<Object>")]
    [InlineData("x port: 80", "x port<Keyword> 80")]
    public void Marks_the_words_that_begin_a_keyword_or_an_object(string text, string expected) =>
        Assert.Equal(expected, Starts(text));

    [Fact]
    public void A_token_stays_32_bytes() => Assert.Equal(32, Unsafe.SizeOf<Token>());
}
