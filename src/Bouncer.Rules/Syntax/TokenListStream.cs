using Pidgin;

namespace Bouncer.Rules.Syntax;

/// <summary>
/// A <see cref="TokenList"/> as Pidgin's input. Pidgin reads a token stream in chunks into one
/// buffer it rents from the array pool and returns at the end of the parse, so reading the whole
/// file costs no allocation; parsing a <see cref="ReadOnlySpan{T}"/> instead would need all the
/// tokens in one array, the large-object allocation <see cref="TokenList"/> is chunked to avoid.
/// Pidgin's own <c>ReadOnlyListTokenStream</c> reads 16 tokens at a time through the list's
/// indexer; this copies whole runs out of the list's chunks.
/// </summary>
internal sealed class TokenListStream(TokenList tokens) : ITokenStream<Token>
{
    private int _next;

    /// <summary>Tokens per read: 32 KB of the pooled buffer.</summary>
    public int ChunkSizeHint => 1024;

    public int Read(Span<Token> buffer)
    {
        var read = tokens.CopyTo(_next, buffer);
        _next += read;
        return read;
    }
}
