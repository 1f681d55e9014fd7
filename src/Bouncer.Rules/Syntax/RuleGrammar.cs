// The grammar of rule files, in one place.
//
//   file    := item* END
//   item    := object | option
//   object  := header '{' option* '}'             header := WORD WORD?
//   option  := keyword ':' value*                  keyword := WORD | ('bounce'|'redirect') WORD
//   value   := port | WORD                         (a WORD that does not start the next keyword or object)
//   port    := 'port' ( OP WORD | ':' WORD | OPWORD WORD | WORD ( '-' WORD )? )
//
// Written with Pidgin over tokens from the hand lexer (Lexer.cs). Pidgin's Or and Many do not
// backtrack once a parser has consumed a token, and nothing here uses Try: a failure is reported
// where the text went wrong, not as a vague error at the start of the rule. The lookahead the
// grammar needs at nearly every token (does this word begin a keyword, or an object?) is decided
// once by the lexer (Token.StartsKeyword, Token.StartsObject), so the parsers are predicates on one
// token. Nothing of Pidgin leaves this file and the small parser and stream classes beside it
// (TokenListStream, RecoveringItemParser, ManyToArrayParser; all internal).
//
// The grammar reads permissively: any keyword, any words as values. Whether a keyword exists or a
// value makes sense is judged by the compile step, which can then say exactly what is wrong.
// An error inside an item becomes an ErrorSyntax item and parsing resumes at the next keyword,
// rule or closing brace (RecoveringItemParser), so every problem of a file is reported in one run.
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Bouncer.Rules.Model;
using Pidgin;
using static Pidgin.Parser;

namespace Bouncer.Rules.Syntax;

/// <summary>Reads tokens into a <see cref="FileSyntax"/>. Never fails: problems are <see cref="ErrorSyntax"/> items.</summary>
internal static class RuleGrammar
{
    private const string PortOperators = "=, !=, <, >, <=, >=, eq, ne, neq, lt, gt, le, ge";
    private const string AfterPort = $"a port operator ({PortOperators}), ':' or a range after 'port'";
    private const string APortValue = "a port number or service name";

    private static readonly HashSet<string> s_portOperatorWords = new(StringComparer.Ordinal) { "eq", "ne", "neq", "lt", "gt", "le", "ge" };

    // ---- what a token is, and where a list of items ends ----

    private static bool IsWord(Token t) => t.Kind == TokenKind.Word;

    /// <summary>A word that is a value: it begins neither the next keyword nor the next object.</summary>
    private static bool IsValueWord(Token t) => t.Kind == TokenKind.Word && !t.StartsKeyword && !t.StartsObject;

    private static bool IsPortWord(Token t) => t.Kind == TokenKind.Word && t.Text.Equals("port", StringComparison.OrdinalIgnoreCase);

    private static bool IsPortOperatorWord(Token t) => IsValueWord(t) && s_portOperatorWords.Contains(t.Text);

    private static bool EndsBody(Token t) => t.Kind is TokenKind.End or TokenKind.CloseBrace || t.StartsObject;

    private static bool ResumesBody(Token t) => EndsBody(t) || t.StartsKeyword;

    private static bool EndsFile(Token t) => t.Kind == TokenKind.End;

    private static bool ResumesFile(Token t) => t.Kind == TokenKind.End || t.StartsKeyword || t.StartsObject;

    // ---- tokens ----

    private static Parser<Token, Token> TokenOf(TokenKind kind) => Parser<Token>.Token(t => t.Kind == kind);

    private static readonly Parser<Token, Token> Colon = TokenOf(TokenKind.Colon);
    private static readonly Parser<Token, Token> Dash = TokenOf(TokenKind.Dash);
    private static readonly Parser<Token, Token> Operator = TokenOf(TokenKind.Operator);
    private static readonly Parser<Token, Token> EndOfFile = TokenOf(TokenKind.End);
    private static readonly Parser<Token, Token> Word = Parser<Token>.Token(IsWord);
    private static readonly Parser<Token, Token> ValueWord = Parser<Token>.Token(IsValueWord);
    private static readonly Parser<Token, Token> PortWord = Parser<Token>.Token(IsPortWord);
    private static readonly Parser<Token, Token> PortOperatorWord = Parser<Token>.Token(IsPortOperatorWord);
    private static readonly Parser<Token, Token> ObjectStart = Parser<Token>.Token(t => t.StartsObject);
    private static readonly Parser<Token, Token> HeaderWord = Parser<Token>.Token(t => IsWord(t) && !t.StartsKeyword);

    private static WordSyntax ToWord(Token token) => new(token.Text, token.Position);

    // ---- options ----

    // What follows a keyword's first word: its colon, or the second word of 'bounce to' and its colon.
    private static readonly Parser<Token, Token?> KeywordColon = Colon.ThenReturn((Token?)null);
    private static readonly Parser<Token, Token?> SecondKeywordWord = Word.Before(Colon).Select(second => (Token?)second);

    /// <summary>
    /// <c>from:</c>, <c>timeout.io:</c>, <c>bounce to:</c>. The lexer has said which form the first
    /// word begins; a word that begins neither lacks its colon, and fails at the token after it.
    /// </summary>
    private static readonly Parser<Token, (string Text, SourcePosition Position)> Keyword =
        Word.Then(
            first => first.StartsTwoWordKeyword ? SecondKeywordWord : first.StartsKeyword ? KeywordColon : ColonAfter(first),
            (first, second) => (second is { } tail ? TwoWordKeyword(first.Text, tail.Text) : first.Text, first.Position));

    /// <summary>The colon a word lacks, labelled with the word; made only on that error.</summary>
    private static Parser<Token, Token?> ColonAfter(Token word) =>
        Colon.Labelled($"':' after '{word.Text}'").ThenReturn((Token?)null);

    /// <summary>The keyword of two words joined with one space; the common spellings without a new string.</summary>
    private static string TwoWordKeyword(string head, string tail) => (head, tail) switch
    {
        ("bounce", "to") => "bounce to",
        ("redirect", "from") => "redirect from",
        _ => $"{head} {tail}",
    };

    private static readonly Parser<Token, WordSyntax> PortValue =
        ValueWord.Labelled(APortValue).Select(ToWord);

    private static readonly Parser<Token, WordSyntax?> RangeHigh =
        Dash.Then(PortValue).Optional().Select(high => high.HasValue ? high.Value : null);

    /// <summary>What follows <c>port</c>: the operator as written (":" for <c>port:</c>, empty for a bare value or range), the value, the high end of a spaced range.</summary>
    /// <remarks>
    /// Only the last alternative is labelled: when none applies, Pidgin reports what all of them
    /// expected, and an unlabelled token parser expects nothing. A labelled one that fails takes
    /// pooled memory for its label, which the first three would do on every range and operator
    /// word of a file.
    /// </remarks>
    private static readonly Parser<Token, (string Operator, WordSyntax Low, WordSyntax? High)> PortTail = OneOf(
        Map((op, value) => (op.Text, value, (WordSyntax?)null), Operator, PortValue),
        Map((_, value) => (":", value, (WordSyntax?)null), Colon, PortValue),
        Map((op, value) => (op.Text, value, (WordSyntax?)null), PortOperatorWord, PortValue),
        Map((low, high) => (string.Empty, ToWord(low), high), ValueWord.Labelled(AfterPort), RangeHigh));

    private static readonly Parser<Token, ValueSyntax> Port =
        Map((keyword, tail) => (ValueSyntax)new PortSyntax(ToWord(keyword), tail.Operator, tail.Low, tail.High), PortWord, PortTail);

    private static readonly Parser<Token, ItemSyntax> Option =
        Map((keyword, values) => (ItemSyntax)new OptionSyntax(keyword.Text, keyword.Position, values), Keyword, new ValueListParser());

    // ---- objects ----

    private static readonly Parser<Token, ImmutableArray<WordSyntax>> Header =
        Map(
            (first, second) => second.HasValue ? ImmutableArray.Create(ToWord(first), ToWord(second.Value)) : ImmutableArray.Create(ToWord(first)),
            ObjectStart,
            HeaderWord.Optional());

    private static readonly Parser<Token, ItemSyntax> BodyItem =
        new RecoveringItemParser(Option, EndsBody, ResumesBody, "a rule option (keyword:)");

    private static readonly Parser<Token, ItemSyntax> Object =
        Map(BuildObject, Header, Expect(TokenKind.OpenBrace), ListOf(BodyItem), Expect(TokenKind.CloseBrace));

    private static ItemSyntax BuildObject(ImmutableArray<WordSyntax> header, Presence open, ImmutableArray<ItemSyntax> body, Presence close)
    {
        if (!open.Found || !close.Found)
        {
            var items = ImmutableArray.CreateBuilder<ItemSyntax>(body.Length + 2);
            if (!open.Found)
            {
                items.Add(open.Missing($"'{{' after '{string.Join(' ', header.Select(w => w.Text))}'"));
            }

            items.AddRange(body);
            if (!close.Found)
            {
                items.Add(close.Missing($"'}}' to close the rule at line {header[0].Position.Line}"));
            }

            body = items.ToImmutable();
        }

        return new ObjectSyntax(header, header[0].Position, body);
    }

    // ---- the file ----

    private static readonly Parser<Token, ItemSyntax> TopItem =
        new RecoveringItemParser(Object.Or(Option), EndsFile, ResumesFile, "a setting (keyword:) or a rule (client pass { ... })");

    private static readonly Parser<Token, FileSyntax> File =
        Map((items, _) => new FileSyntax(items), ListOf(TopItem), EndOfFile);

    /// <param name="tokens">The lexer's tokens, which carry their positions.</param>
    /// <param name="fileName">Unused: every token's position names the file already. Kept so that the lexer and the grammar are called alike.</param>
    public static FileSyntax Parse(TokenList tokens, string fileName)
    {
        var result = File.Parse(new TokenListStream(tokens));
        if (result.Success)
        {
            return result.Value;
        }

        // Not reached: every item recovers and the list of items ends only at the end of the file.
        var error = result.Error!;
        var at = error.Unexpected.HasValue ? error.Unexpected.Value : tokens.Last;
        return new FileSyntax([new ErrorSyntax($"cannot read the file: unexpected {at.Describe()}", at.Position)]);
    }

    // ---- helpers ----

    /// <summary><paramref name="item"/> as often as it succeeds, as an array (<c>Many</c>, see <see cref="ManyToArrayParser{T}"/>).</summary>
    private static Parser<Token, ImmutableArray<T>> ListOf<T>(Parser<Token, T> item) => new ManyToArrayParser<T>(item);

    /// <summary>
    /// One token of <paramref name="kind"/> if it is there; if not, succeeds without consuming and
    /// keeps the token found instead, for <see cref="BuildObject"/> to report. A missing brace is
    /// reported without losing the rule.
    /// </summary>
    private static Parser<Token, Presence> Expect(TokenKind kind) =>
        TokenOf(kind).Select(found => new Presence(true, found))
            .Or(Lookahead(Parser<Token>.Any).Select(other => new Presence(false, other)));

    /// <summary>
    /// <c>value*</c>, with <c>value := port | WORD</c>: the values of an option, read by a loop.
    /// </summary>
    /// <remarks>
    /// The one hand-written step of the grammar, because it runs on nearly half the tokens of a
    /// file: written as <c>ListOf(Port.Or(ValueWord))</c> it would pay an <c>Or</c> per value,
    /// which sets up two pooled lists through a generic interface call (docs/performance.md). The
    /// meaning is the same: a 'port' word begins a port clause, read by <see cref="Port"/> and
    /// committed once 'port' is read, even where it looks like a keyword (<c>port: 80</c>); any
    /// other value word is a value; anything else ends the list.
    /// </remarks>
    private sealed class ValueListParser : Parser<Token, ImmutableArray<ValueSyntax>>
    {
        public override bool TryParse(
            ref ParseState<Token> state, ref PooledList<Expected<Token>> expecteds, [MaybeNullWhen(false)] out ImmutableArray<ValueSyntax> result)
        {
            var values = default(PooledList<ValueSyntax>);  // the shared pool; see ManyToArrayParser
            try
            {
                while (state.HasCurrent)
                {
                    var token = state.Current;
                    if (IsPortWord(token))
                    {
                        if (!Port.TryParse(ref state, ref expecteds, out var port))
                        {
                            result = default;
                            return false;
                        }

                        values.Add(port);
                    }
                    else if (IsValueWord(token))
                    {
                        values.Add(ToWord(token));
                        state.Advance();
                    }
                    else
                    {
                        break;
                    }
                }

                result = values.Count == 0 ? [] : ImmutableCollectionsMarshal.AsImmutableArray(values.AsSpan().ToArray());
                return true;
            }
            finally
            {
                values.Dispose();
            }
        }
    }

    /// <summary>Whether an expected token was there, and the token found in its place.</summary>
    private readonly record struct Presence(bool Found, Token At)
    {
        public ErrorSyntax Missing(string expected) => new($"expected {expected}, found {At.Describe()}", At.Position);
    }
}
