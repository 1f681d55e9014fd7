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

/// <summary>One token with the place it starts.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, SourcePosition Position)
{
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
