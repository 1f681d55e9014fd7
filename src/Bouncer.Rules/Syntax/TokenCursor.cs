namespace Bouncer.Rules.Syntax;

/// <summary>
/// A place in the token list, as a value: what the grammar's lookahead predicates and its
/// hand-written value loop look at, so that stepping over tokens allocates nothing. A
/// <see cref="TokenInput"/> is made only where a parser hands back a remainder.
/// </summary>
internal readonly record struct TokenCursor(TokenList Tokens, int Index)
{
    public Token Token => Tokens[Index];

    public bool AtEnd => Token.Kind == TokenKind.End;

    /// <summary>The token <paramref name="offset"/> places ahead, or the end token.</summary>
    public Token Peek(int offset) => Tokens[Math.Min(Index + offset, Tokens.Count - 1)];

    public TokenCursor Next => AtEnd ? this : new(Tokens, Index + 1);
}
