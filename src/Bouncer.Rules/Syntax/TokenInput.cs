using Sprache;

namespace Bouncer.Rules.Syntax;

/// <summary>
/// Sprache input over tokens instead of characters. <see cref="Current"/> is a character standing
/// for the token kind (so Sprache's own error plumbing keeps working) and <see cref="Token"/> is
/// the token itself. An instance is made where a parser hands a place back as a remainder, which
/// the hand-written steps of the grammar do only a few times per rule (within a rule they go by
/// <see cref="TokenCursor"/>); it is only a reference to the shared <see cref="TokenStream"/> and
/// an index, and inputs compare by place, not by reference. Not kept per token: an array with a
/// slot for each of the 270,000 tokens of a 10,000-rule file was a large-object allocation,
/// which starts full collections, for a few inputs per rule.
/// </summary>
internal sealed class TokenInput : IInput
{
    private readonly TokenStream _stream;

    private TokenInput(TokenStream stream, int index)
    {
        _stream = stream;
        Index = index;
    }

    public int Index { get; }

    public Token Token => _stream.Tokens[Index];

    public TokenCursor Cursor => new(_stream.Tokens, Index);

    /// <summary>The token <paramref name="offset"/> places ahead, or the end token.</summary>
    public Token Peek(int offset) => _stream.Tokens[Math.Min(Index + offset, _stream.Tokens.Count - 1)];

    public string Source => _stream.Source;

    /// <summary>Scratch space shared by the list parsers of one parse (see <c>RuleGrammar.List</c>).</summary>
    public List<object> Scratch => _stream.Scratch;

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

    public IDictionary<object, object> Memos => _stream.MemosAt(Index);

    public static TokenInput Start(TokenList tokens, string source)
    {
        var stream = new TokenStream(tokens, source);
        return stream.InputAt(0);
    }

    public TokenInput Next => AtEnd ? this : _stream.InputAt(Index + 1);

    /// <summary>The input at <paramref name="cursor"/>, a place of this same token list.</summary>
    public TokenInput At(TokenCursor cursor) => _stream.InputAt(cursor.Index);

    public IInput Advance() => Next;

    public bool Equals(IInput? other) => other is TokenInput input && ReferenceEquals(input._stream, _stream) && input.Index == Index;

    public override bool Equals(object? obj) => Equals(obj as IInput);

    public override int GetHashCode() => Index;

    /// <summary>What all inputs of one parse share.</summary>
    private sealed class TokenStream
    {
        private Dictionary<int, Dictionary<object, object>>? _memos;

        public TokenStream(TokenList tokens, string source)
        {
            Tokens = tokens;
            Source = source;
        }

        public TokenList Tokens { get; }

        public string Source { get; }

        public TokenInput InputAt(int index) => new(this, index);

        public List<object> Scratch { get; } = [];

        // Sprache only memoizes for Parse.Ref, which this grammar does not use; kept per index so the
        // inputs themselves stay small.
        public Dictionary<object, object> MemosAt(int index)
        {
            _memos ??= [];
            if (!_memos.TryGetValue(index, out var memos))
            {
                _memos[index] = memos = [];
            }

            return memos;
        }
    }
}
