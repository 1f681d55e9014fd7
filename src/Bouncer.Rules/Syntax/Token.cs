using Bouncer.Rules.Model;

namespace Bouncer.Rules.Syntax;

/// <summary>The kinds of token the lexer produces.</summary>
internal enum TokenKind
{
    /// <summary>Any run of characters that is not whitespace or punctuation: keywords, addresses, numbers, paths.</summary>
    Word,
    Colon,
    OpenBrace,
    CloseBrace,

    /// <summary>A comparison: <c>=</c> <c>!=</c> <c>&lt;</c> <c>&gt;</c> <c>&lt;=</c> <c>&gt;=</c>.</summary>
    Operator,

    /// <summary>A <c>-</c> standing apart from a word, as in <c>port 1024 - 65535</c>.</summary>
    Dash,

    /// <summary>A character that has no place in a rule file (control characters, a lone <c>!</c>).</summary>
    Invalid,
    End,
}

/// <summary>
/// What a word begins, decided once by the lexer from the tokens after it (<see cref="Lexer"/>), so
/// that the grammar's many "is this the start of the next item?" questions are a flag test
/// instead of a lookahead over the next two tokens each time.
/// </summary>
[Flags]
internal enum TokenStarts : byte
{
    None = 0,

    /// <summary>A keyword: <c>word :</c>, or <c>bounce</c>/<c>redirect</c> then <c>word :</c>.</summary>
    Keyword = 1,

    /// <summary>An object: <c>word {</c>, <c>word word {</c>, or <c>client</c>/<c>socks</c> not followed by <c>:</c>.</summary>
    Object = 2,

    /// <summary>A keyword of two words, <c>bounce</c>/<c>redirect</c> then <c>word :</c>; set with <see cref="Keyword"/>.</summary>
    TwoWordKeyword = 4,
}

/// <summary>
/// One token with the place it starts. <see cref="Starts"/> fits in the padding after
/// <see cref="Kind"/>, so a token stays 32 bytes; a large file has hundreds of thousands of them.
/// </summary>
internal readonly record struct Token(TokenKind Kind, string Text, SourcePosition Position)
{
    /// <summary>What this word begins; set by the lexer's last pass, <see cref="TokenStarts.None"/> on other tokens.</summary>
    public TokenStarts Starts { get; init; }

    public bool StartsKeyword => (Starts & TokenStarts.Keyword) != 0;

    public bool StartsObject => (Starts & TokenStarts.Object) != 0;

    public bool StartsTwoWordKeyword => (Starts & TokenStarts.TwoWordKeyword) != 0;

    /// <summary>How a message names the token: <c>'from'</c>, <c>end of file</c>.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.End => "end of file",
        TokenKind.Invalid => $"invalid character {DescribeCharacter(Text)}",
        _ => $"'{Text}'",
    };

    private static string DescribeCharacter(string text) =>
        text.Length == 1 && (char.IsControl(text[0]) || char.IsWhiteSpace(text[0]))
            ? $"U+{(int)text[0]:X4}"
            : $"'{text}'";
}
