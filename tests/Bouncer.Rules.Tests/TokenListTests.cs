using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Tests;

/// <summary>The chunked token list and the copies the grammar's token stream takes out of it.</summary>
public sealed class TokenListTests
{
    private static readonly TokenList s_tokens = Lexer.Tokenize(
        string.Concat(Enumerable.Range(0, 1500).Select(i => $"debug: {i % 3}\n")), "t");

    [Theory]
    [InlineData(0, 16)]
    [InlineData(2040, 20)]
    [InlineData(4090, 10)]
    [InlineData(4495, 100)]
    public void Copies_runs_across_chunk_boundaries_and_stops_at_the_end(int start, int length)
    {
        var buffer = new Token[length];
        var copied = s_tokens.CopyTo(start, buffer);
        Assert.Equal(Math.Min(length, s_tokens.Count - start), copied);
        Assert.Equal(Enumerable.Range(start, copied).Select(i => s_tokens[i]), buffer.Take(copied));
    }

    [Fact]
    public void The_grammar_reads_a_list_of_several_chunks() =>
        Assert.Equal(1500, RuleGrammar.Parse(s_tokens, "t").Items.Length);
}
