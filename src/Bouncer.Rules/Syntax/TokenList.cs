using System.Collections;

namespace Bouncer.Rules.Syntax;

/// <summary>
/// The tokens of a file, the last one <see cref="TokenKind.End"/>. A growable array handed over
/// as it is: a file of 10,000 rules has 270,000 tokens (8 MB), and copying them into an exact-size
/// array once the count is known would put a second such array on the large object heap per parse.
/// </summary>
internal sealed class TokenList : IReadOnlyList<Token>
{
    private Token[] _items;

    public TokenList(int capacity) => _items = new Token[Math.Max(16, capacity)];

    public int Count { get; private set; }

    public Token this[int index] =>
        (uint)index < (uint)Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public void Add(Token token)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length + (_items.Length / 2));
        }

        _items[Count++] = token;
    }

    public IEnumerator<Token> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return _items[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
