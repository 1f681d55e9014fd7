using System.Collections;

namespace Bouncer.Rules.Syntax;

/// <summary>
/// The tokens of a file, the last one <see cref="TokenKind.End"/>, kept in chunks of
/// <see cref="ChunkSize"/>. A large file has hundreds of thousands of tokens; in one growable
/// array they would be a large-object allocation per parse, plus the arrays it outgrew, and
/// large-object allocations start full collections. Chunks (64 KB) stay below the large-object
/// threshold (85,000 bytes), are never copied, and die young with the rest of the parse.
/// </summary>
internal sealed class TokenList : IReadOnlyList<Token>
{
    private const int ChunkBits = 11;
    private const int ChunkSize = 1 << ChunkBits;
    private const int ChunkMask = ChunkSize - 1;

    private readonly List<Token[]> _chunks = [];

    public int Count { get; private set; }

    public Token this[int index] =>
        (uint)index < (uint)Count ? _chunks[index >> ChunkBits][index & ChunkMask] : throw new ArgumentOutOfRangeException(nameof(index));

    public void Add(Token token)
    {
        if ((Count & ChunkMask) == 0)
        {
            _chunks.Add(new Token[ChunkSize]);
        }

        _chunks[Count >> ChunkBits][Count & ChunkMask] = token;
        Count++;
    }

    /// <summary>The last token, <see cref="TokenKind.End"/> once the lexer is done.</summary>
    public Token Last => this[Count - 1];

    /// <summary>Records what the token at <paramref name="index"/> begins (the lexer's last pass).</summary>
    public void SetStarts(int index, TokenStarts starts)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        ref var slot = ref _chunks[index >> ChunkBits][index & ChunkMask];
        slot = slot with { Starts = starts };
    }

    /// <summary>
    /// Copies tokens from <paramref name="start"/> on into <paramref name="destination"/>, a chunk
    /// at a time; returns how many, fewer than its length at the end of the list.
    /// </summary>
    public int CopyTo(int start, Span<Token> destination)
    {
        var copied = 0;
        while (copied < destination.Length && start + copied < Count)
        {
            var index = start + copied;
            var inChunk = Math.Min(ChunkSize - (index & ChunkMask), Count - index);
            var length = Math.Min(inChunk, destination.Length - copied);
            _chunks[index >> ChunkBits].AsSpan(index & ChunkMask, length).CopyTo(destination[copied..]);
            copied += length;
        }

        return copied;
    }

    public IEnumerator<Token> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
