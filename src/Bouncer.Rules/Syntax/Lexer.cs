using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Syntax;

/// <summary>
/// Splits rule text into tokens. Written by hand rather than with parser combinators over
/// characters: a combinator parser allocates or at least calls through several parsers per
/// character, and a plain loop over the string is linear and allocates at most one string per
/// token; the grammar (<see cref="RuleGrammar"/>) then runs over tokens. The one subtle job is the
/// colon: it ends a keyword (<c>from:10.0.0.0/8</c>) but belongs to an IPv6 address
/// (<c>2001:db8::1</c>). A last pass marks the words that begin a keyword or an object
/// (<see cref="TokenStarts"/>), the lookahead the grammar asks for at nearly every token.
/// </summary>
internal static class Lexer
{
    public static TokenList Tokenize(string text, string fileName)
    {
        var tokens = new TokenList();
        var scanner = new Scanner(text, fileName, tokens);
        scanner.Run();
        MarkStarts(tokens);
        return tokens;
    }

    /// <summary>
    /// Marks each word that begins a keyword (<c>word :</c>, <c>bounce|redirect word :</c>) or an
    /// object (<c>word {</c>, <c>word word {</c>, or <c>client</c>/<c>socks</c> not followed by a
    /// colon, so that <c>client pass</c> with its brace forgotten is still read as a rule). Looks at
    /// most two tokens ahead; the list ends with the End token, so a word always has a next one.
    /// </summary>
    private static void MarkStarts(TokenList tokens)
    {
        // One read per token: a window of three slides along the list. Past the end, the End token
        // (always last) stands in for the missing one.
        var last = tokens.Count - 1;
        var word = tokens[0];
        var next = tokens[Math.Min(1, last)];
        for (var i = 0; i < last; i++)
        {
            var afterNext = tokens[Math.Min(i + 2, last)];
            if (word.Kind == TokenKind.Word && Starts(word.Text, next.Kind, afterNext.Kind) is var starts and not TokenStarts.None)
            {
                tokens.SetStarts(i, starts);
            }

            word = next;
            next = afterNext;
        }
    }

    /// <summary>What a word followed by tokens of kinds <paramref name="next"/> and <paramref name="afterNext"/> begins.</summary>
    private static TokenStarts Starts(string word, TokenKind next, TokenKind afterNext)
    {
        var starts = TokenStarts.None;
        if (next == TokenKind.Colon)
        {
            starts |= TokenStarts.Keyword;
        }
        else if (next == TokenKind.Word && afterNext == TokenKind.Colon && IsTwoWordKeywordHead(word))
        {
            starts |= TokenStarts.Keyword | TokenStarts.TwoWordKeyword;
        }

        if (next == TokenKind.OpenBrace
            || (next == TokenKind.Word && afterNext == TokenKind.OpenBrace)
            || (word is "client" or "socks" && next != TokenKind.Colon))
        {
            starts |= TokenStarts.Object;
        }

        return starts;
    }

    /// <summary>The first word of <c>bounce to</c> and <c>redirect from</c>, in any case so that <c>Bounce to:</c> gets the lower-case message.</summary>
    private static bool IsTwoWordKeywordHead(string word) =>
        word.Equals("bounce", StringComparison.OrdinalIgnoreCase) || word.Equals("redirect", StringComparison.OrdinalIgnoreCase);

    private sealed class Scanner(string text, string fileName, TokenList tokens)
    {
        // Keywords, punctuation, ports and backend addresses repeat on every rule; one string each
        // instead of one per occurrence. Bounded, so a file of unique words cannot grow it without
        // end, and so that its entry array (24 bytes an entry, grown to the next prime above twice
        // the count) stays below the large-object threshold (85,000 bytes).
        private const int MaxInterned = 2048;
        private readonly Dictionary<string, string> _interned = new(StringComparer.Ordinal);
        private int _index;
        private int _line = 1;
        private int _lineStart;

        public void Run()
        {
            while (_index < text.Length)
            {
                var c = text[_index];
                if (c == '\n')
                {
                    NewLine(_index + 1);
                }
                else if (c == '\\' && IsLineContinuation(_index))
                {
                    _index = text.IndexOf('\n', _index);
                    NewLine(_index + 1);
                }
                else if (IsBlank(c))
                {
                    _index++;
                }
                else if (c == '#')
                {
                    var end = text.IndexOf('\n', _index);
                    _index = end < 0 ? text.Length : end;
                }
                else
                {
                    ScanToken(c);
                }
            }

            tokens.Add(new Token(TokenKind.End, string.Empty, Here(_index)));
        }

        private void ScanToken(char c)
        {
            switch (c)
            {
                case '{':
                    Add(TokenKind.OpenBrace, _index, 1);
                    break;
                case '}':
                    Add(TokenKind.CloseBrace, _index, 1);
                    break;
                case '=':
                    Add(TokenKind.Operator, _index, 1);
                    break;
                case '<' or '>':
                    Add(TokenKind.Operator, _index, Peek(1) == '=' ? 2 : 1);
                    break;
                case '!':
                    Add(Peek(1) == '=' ? TokenKind.Operator : TokenKind.Invalid, _index, Peek(1) == '=' ? 2 : 1);
                    break;
                default:
                    if (char.IsControl(c) || char.IsWhiteSpace(c))
                    {
                        Add(TokenKind.Invalid, _index, 1);
                    }
                    else
                    {
                        ScanRun();
                    }

                    break;
            }
        }

        /// <summary>A run of word characters, then split into words, colons and dashes.</summary>
        private void ScanRun()
        {
            var start = _index;
            var end = start;
            while (end < text.Length && IsRunCharacter(text[end]) && !(text[end] == '\\' && IsLineContinuation(end)))
            {
                end++;
            }

            SplitRun(start, end);
            _index = end;
        }

        private void SplitRun(int start, int end)
        {
            while (start < end)
            {
                var colon = text.IndexOf(':', start, end - start);
                if (colon < 0 || LooksLikeIPv6(start, end))
                {
                    AddWordWithDashes(start, end);
                    return;
                }

                AddWordWithDashes(start, colon);
                Add(TokenKind.Colon, colon, 1);
                start = colon + 1;
            }
        }

        /// <summary>A leading or trailing dash stands apart (<c>1024- 65535</c>); inner dashes stay in the word.</summary>
        private void AddWordWithDashes(int start, int end)
        {
            if (start >= end)
            {
                return;
            }

            if (text[start] == '-')
            {
                Add(TokenKind.Dash, start, 1);
                AddWordWithDashes(start + 1, end);
                return;
            }

            var trailingDash = end - start > 1 && text[end - 1] == '-';
            Add(TokenKind.Word, start, (trailingDash ? end - 1 : end) - start);
            if (trailingDash)
            {
                Add(TokenKind.Dash, end - 1, 1);
            }
        }

        /// <summary>
        /// True when the run (up to a '/') is an IPv6 address, or an attempt at one: the part before
        /// the first colon is empty or hex digits (no keyword is) and there are two colons or more.
        /// A broken address then stays one word, and the compile step says what is wrong with it.
        /// </summary>
        private bool LooksLikeIPv6(int start, int end)
        {
            var slash = text.IndexOf('/', start, end - start);
            var addressEnd = slash < 0 ? end : slash;
            var i = start;
            while (i < addressEnd && text[i] != ':')
            {
                if (!char.IsAsciiHexDigit(text[i]))
                {
                    return false;
                }

                i++;
            }

            var address = text.AsSpan(start, addressEnd - start);
            return address.Count(':') >= 2
                || (IPAddress.TryParse(address, out var parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6);
        }

        private bool IsLineContinuation(int index)
        {
            var next = index + 1;
            if (next < text.Length && text[next] == '\r')
            {
                next++;
            }

            return next < text.Length && text[next] == '\n';
        }

        private char Peek(int offset) => _index + offset < text.Length ? text[_index + offset] : '\0';

        private void Add(TokenKind kind, int start, int length)
        {
            tokens.Add(new Token(kind, Intern(text.AsSpan(start, length)), Here(start)));
            _index = start + length;
        }

        private string Intern(ReadOnlySpan<char> span)
        {
            var lookup = _interned.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(span, out var known))
            {
                return known;
            }

            var created = span.ToString();
            if (_interned.Count < MaxInterned)
            {
                _interned.Add(created, created);
            }

            return created;
        }

        private void NewLine(int next)
        {
            _line++;
            _index = next;
            _lineStart = next;
        }

        private SourcePosition Here(int index) => new(fileName, _line, index - _lineStart + 1);

        private static bool IsBlank(char c) => c is ' ' or '\t' or '\r' or '\f' or '\v';

        private static bool IsRunCharacter(char c) =>
            !char.IsWhiteSpace(c) && !char.IsControl(c) && c is not ('{' or '}' or '#' or '=' or '<' or '>' or '!');
    }
}
