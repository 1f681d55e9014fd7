using System.Collections.Immutable;
using Sprache;

namespace Bouncer.Rules.Syntax;

/// <summary>
/// Sprache input over tokens instead of characters. <see cref="Current"/> is a character standing
/// for the token kind (so Sprache's own error plumbing keeps working) and <see cref="Token"/> is
/// the token itself. One instance per token index is made up front, so advancing allocates nothing.
/// </summary>
internal sealed class TokenInput : IInput
{
    private readonly TokenInput[] _all;
    private Dictionary<object, object>? _memos;

    private TokenInput(ImmutableArray<Token> tokens, TokenInput[] all, int index, string source)
    {
        Tokens = tokens;
        _all = all;
        Index = index;
        Source = source;
    }

    public ImmutableArray<Token> Tokens { get; }

    public int Index { get; }

    public Token Token => Tokens[Index];

    /// <summary>The token <paramref name="offset"/> places ahead, or the end token.</summary>
    public Token Peek(int offset) => Tokens[Math.Min(Index + offset, Tokens.Length - 1)];

    public string Source { get; }

    public char Current => Token.Kind switch
    {
        TokenKind.Word => 'w',
        TokenKind.Colon => ':',
        TokenKind.OpenBrace => '{',
        TokenKind.CloseBrace => '}',
        TokenKind.Operator => '=',
        TokenKind.Dash => '-',
        TokenKind.Invalid => '?',
        _ => '\0',
    };

    public bool AtEnd => Token.Kind == TokenKind.End;

    public int Position => Index;

    public int Line => Token.Position.Line;

    public int Column => Token.Position.Column;

    public IDictionary<object, object> Memos => _memos ??= new Dictionary<object, object>();

    public static TokenInput Start(ImmutableArray<Token> tokens, string source)
    {
        var all = new TokenInput[tokens.Length];
        for (var i = 0; i < all.Length; i++)
        {
            all[i] = new TokenInput(tokens, all, i, source);
        }

        return all[0];
    }

    public TokenInput Next => AtEnd ? this : _all[Index + 1];

    public IInput Advance() => Next;

    public bool Equals(IInput? other) => other is TokenInput input && ReferenceEquals(input._all, _all) && input.Index == Index;

    public override bool Equals(object? obj) => Equals(obj as IInput);

    public override int GetHashCode() => Index;
}
