// The grammar of rule files, in one place.
//
// Written with Sprache 2.3.1 over tokens from the hand lexer (Lexer.cs). Only committing
// combinators are used: XOr, XOptional, and the committed sequence and list below. Once a parser has
// consumed a token it is committed, so a failure is reported where the text went wrong instead of
// being backtracked into a vague error at the start of the rule. That is also Pidgin's model
// (Or/Many without Try), so moving to Pidgin is a mechanical rename of this file: XOr -> Or,
// XOptional -> Optional, Sequence -> Map(f, p1, p2), Then -> Bind, Map -> Select, List -> Many.
// The primitives below are small delegates over TokenInput; nothing of Sprache leaves this file
// and TokenInput.cs (both internal).
//
// Why the sequence, map and list combinators are written here rather than Sprache's LINQ
// (SelectMany/Select) and XMany: those build new parsers and closures on every call, and XMany
// parses the item that ends a list a second time. Run on every token of a 10,000-rule file
// (270,000 tokens) they allocated about 215 MB and took most of the parse. The ones below keep the
// same committed semantics and allocate one result per step; the hottest leaf, the values of an
// option, is a hand-written loop (see Values).
//
// The grammar reads permissively: any keyword, any words as values. Whether a keyword exists or a
// value makes sense is judged by the compile step, which can then say exactly what is wrong.
// An error inside an item becomes an ErrorSyntax item and parsing resumes at the next keyword,
// rule or closing brace, so every problem of a file is reported in one run.
//
//   file    := item* END
//   item    := object | option
//   object  := header '{' option* '}'             header := WORD WORD?
//   option  := keyword ':' value*                  keyword := WORD | ('bounce'|'redirect') WORD
//   value   := port | WORD                         (a WORD that does not start the next keyword or object)
//   port    := 'port' ( OP WORD | ':' WORD | OPWORD WORD | WORD ( '-' WORD )? )
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Bouncer.Rules.Model;
using Sprache;

namespace Bouncer.Rules.Syntax;

/// <summary>Reads tokens into a <see cref="FileSyntax"/>. Never fails: problems are <see cref="ErrorSyntax"/> items.</summary>
internal static class RuleGrammar
{
    private const string PortOperators = "=, !=, <, >, <=, >=, eq, ne, neq, lt, gt, le, ge";

    private static readonly HashSet<string> s_twoWordKeywordHeads = new(StringComparer.OrdinalIgnoreCase) { "bounce", "redirect" };

    // Words that start an object even before its brace is seen; never values of any keyword.
    private static readonly HashSet<string> s_objectWords = new(StringComparer.Ordinal) { "client", "socks" };

    private static readonly string[] s_aKeyword = ["a keyword"];

    private static readonly HashSet<string> s_portOperatorWords = new(StringComparer.Ordinal) { "eq", "ne", "neq", "lt", "gt", "le", "ge" };

    // ---- lookahead predicates (they never consume) ----

    private static bool IsKeywordStart(TokenCursor t) =>
        t.Token.Kind == TokenKind.Word
        && (t.Peek(1).Kind == TokenKind.Colon
            || (s_twoWordKeywordHeads.Contains(t.Token.Text) && t.Peek(1).Kind == TokenKind.Word && t.Peek(2).Kind == TokenKind.Colon));

    private static bool IsObjectStart(TokenCursor t) =>
        t.Token.Kind == TokenKind.Word
        && (t.Peek(1).Kind == TokenKind.OpenBrace
            || (t.Peek(1).Kind == TokenKind.Word && t.Peek(2).Kind == TokenKind.OpenBrace)
            || (s_objectWords.Contains(t.Token.Text) && t.Peek(1).Kind != TokenKind.Colon));

    private static bool IsValueWord(TokenCursor t) =>
        t.Token.Kind == TokenKind.Word && !IsKeywordStart(t) && !IsObjectStart(t);

    private static bool EndsBody(TokenCursor t) =>
        t.AtEnd || t.Token.Kind == TokenKind.CloseBrace || IsObjectStart(t);

    private static bool IsBodySync(TokenCursor t) => EndsBody(t) || IsKeywordStart(t);

    private static bool IsTopSync(TokenCursor t) => t.AtEnd || IsKeywordStart(t) || IsObjectStart(t);

    // ---- primitives ----

    // Failures carry only what was expected (one array per parser, made once); what was found is
    // described from the failing token when a failure becomes an ErrorSyntax. Failures are frequent
    // (every list ends with one), so they must not allocate messages.
    private static IResult<T> Fail<T>(TokenInput at, string[] expected) =>
        Result.Failure<T>(at, string.Empty, expected);

    /// <summary>The same failure as a result of another type.</summary>
    private static IResult<TOut> Failed<TIn, TOut>(IResult<TIn> failure) =>
        Result.Failure<TOut>(failure.Remainder, failure.Message, failure.Expectations);

    private static WordSyntax ToWord(Token token) => new(token.Text, token.Position);

    /// <summary><paramref name="first"/> then <paramref name="second"/>, committed; the two values combined.</summary>
    private static Parser<TOut> Sequence<T1, T2, TOut>(Parser<T1> first, Parser<T2> second, Func<T1, T2, TOut> combine) => input =>
    {
        var a = first(input);
        if (!a.WasSuccessful)
        {
            return Failed<T1, TOut>(a);
        }

        var b = second(a.Remainder);
        return b.WasSuccessful ? Result.Success(combine(a.Value, b.Value), b.Remainder) : Failed<T2, TOut>(b);
    };

    /// <summary>
    /// <paramref name="first"/>, then the parser <paramref name="next"/> picks for its value; the two
    /// values combined. <paramref name="next"/> must return parsers built once, not new ones.
    /// </summary>
    private static Parser<TOut> Then<T1, T2, TOut>(Parser<T1> first, Func<T1, Parser<T2>> next, Func<T1, T2, TOut> combine) => input =>
    {
        var a = first(input);
        if (!a.WasSuccessful)
        {
            return Failed<T1, TOut>(a);
        }

        var b = next(a.Value)(a.Remainder);
        return b.WasSuccessful ? Result.Success(combine(a.Value, b.Value), b.Remainder) : Failed<T2, TOut>(b);
    };

    private static Parser<TOut> Map<T, TOut>(Parser<T> parser, Func<T, TOut> map) => input =>
    {
        var r = parser(input);
        return r.WasSuccessful ? Result.Success(map(r.Value), r.Remainder) : Failed<T, TOut>(r);
    };

    /// <summary>
    /// <paramref name="item"/> as often as it succeeds, with XMany's meaning: an item that fails
    /// without consuming ends the list, one that fails after consuming fails the list, and a
    /// zero-length success ends it too. Items are gathered on the parse's scratch stack (lists nest:
    /// a rule's options hold their values) and copied once into an array of the exact size.
    /// </summary>
    private static Parser<ImmutableArray<T>> List<T>(Parser<T> item)
        where T : class => input =>
    {
        var scratch = ((TokenInput)input).Scratch;
        var mark = scratch.Count;
        var at = input;
        while (true)
        {
            var r = item(at);
            if (!r.WasSuccessful)
            {
                if (!r.Remainder.Equals(at))
                {
                    scratch.RemoveRange(mark, scratch.Count - mark);
                    return Failed<T, ImmutableArray<T>>(r);
                }

                break;
            }

            if (r.Remainder.Equals(at))
            {
                break;
            }

            scratch.Add(r.Value);
            at = r.Remainder;
        }

        return Result.Success(TakeFrom<T>(scratch, mark), at);
    };

    private static ImmutableArray<T> TakeFrom<T>(List<object> scratch, int mark)
        where T : class
    {
        if (scratch.Count == mark)
        {
            return [];
        }

        var items = new T[scratch.Count - mark];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = (T)scratch[mark + i];
        }

        scratch.RemoveRange(mark, items.Length);
        return ImmutableCollectionsMarshal.AsImmutableArray(items);
    }

    /// <summary>One token of <paramref name="kind"/>.</summary>
    private static Parser<Token> Symbol(TokenKind kind, string expected)
    {
        string[] expectations = [expected];
        return input =>
        {
            var t = (TokenInput)input;
            return t.Token.Kind == kind ? Result.Success(t.Token, t.Next) : Fail<Token>(t, expectations);
        };
    }

    /// <summary>
    /// One token of <paramref name="kind"/> if it is there; if not, succeeds without consuming and
    /// the caller reports the token found instead (<see cref="Presence"/>).
    /// </summary>
    private static Parser<Presence> Expect(TokenKind kind) => input =>
    {
        var t = (TokenInput)input;
        return t.Token.Kind == kind ? Result.Success(new Presence(true, t.Token), t.Next) : Result.Success(new Presence(false, t.Token), t);
    };

    /// <summary>One word for which <paramref name="accept"/> holds.</summary>
    private static Parser<WordSyntax> Word(Func<TokenCursor, bool> accept, string expected)
    {
        string[] expectations = [expected];
        return input =>
        {
            var t = (TokenInput)input;
            return accept(t.Cursor) ? Result.Success(ToWord(t.Token), t.Next) : Fail<WordSyntax>(t, expectations);
        };
    }

    /// <summary><c>from</c>, <c>timeout.io</c>, <c>bounce to</c>, then the colon.</summary>
    private static readonly Parser<(string Text, SourcePosition Position)> Keyword = input =>
    {
        var t = (TokenInput)input;
        if (t.Token.Kind != TokenKind.Word)
        {
            return Fail<(string, SourcePosition)>(t, s_aKeyword);
        }

        if (t.Peek(1).Kind == TokenKind.Colon)
        {
            return Result.Success((t.Token.Text, t.Token.Position), t.At(t.Cursor.Next.Next));
        }

        if (IsKeywordStart(t.Cursor))
        {
            return Result.Success((TwoWordKeyword(t.Token.Text, t.Peek(1).Text), t.Token.Position), t.At(t.Cursor.Next.Next.Next));
        }

        return Fail<(string, SourcePosition)>(t.Next, [$"':' after '{t.Token.Text}'"]);
    };

    /// <summary>The keyword of two words joined with one space; the common spellings without a new string.</summary>
    private static string TwoWordKeyword(string head, string tail) => (head, tail) switch
    {
        ("bounce", "to") => "bounce to",
        ("redirect", "from") => "redirect from",
        _ => $"{head} {tail}",
    };

    // ---- values ----

    private static readonly Parser<WordSyntax> PortValue =
        Word(IsValueWord, "a port number or service name");

    private static bool IsPortWord(TokenCursor t) =>
        t.Token.Kind == TokenKind.Word && string.Equals(t.Token.Text, "port", StringComparison.OrdinalIgnoreCase);

    private static readonly Parser<WordSyntax> PortKeyword = Word(IsPortWord, "port");

    private static readonly Parser<WordSyntax?> RangeHigh =
        Map(Sequence(Symbol(TokenKind.Dash, "'-'"), PortValue, (_, high) => high).XOptional(), high => high.GetOrDefault());

    private const string AfterPort = $"a port operator ({PortOperators}), ':' or a range after 'port'";

    /// <summary>What follows <c>port</c>: (operator as written, value, high end of a spaced range).</summary>
    private static readonly Parser<(string Operator, WordSyntax Low, WordSyntax? High)> PortTail =
        Sequence(Symbol(TokenKind.Operator, AfterPort), PortValue, (op, value) => (op.Text, value, (WordSyntax?)null))
        .XOr(Sequence(Symbol(TokenKind.Colon, AfterPort), PortValue, (_, value) => (":", value, (WordSyntax?)null)))
        .XOr(Then(
            Word(IsValueWord, AfterPort),
            first => s_portOperatorWords.Contains(first.Text) ? PortValue : RangeHigh,
            (first, second) => s_portOperatorWords.Contains(first.Text)
                ? (first.Text, second!, (WordSyntax?)null)
                : (string.Empty, first, second)));

    private static readonly Parser<ValueSyntax> Port =
        Sequence(PortKeyword, PortTail, (keyword, tail) => (ValueSyntax)new PortSyntax(keyword, tail.Operator, tail.Low, tail.High));

    // The values of an option: the one hand-written step of the grammar. It is what runs on most
    // tokens of a file, and as a Sprache list of value parsers it made a result and an input for
    // every value (the grammar allocated 57 MB on the 10,000-rule benchmark file with List(Value),
    // 50 MB with this loop). It keeps List(Value)'s meaning exactly: a 'port' word starts a port
    // clause, read by the Port parser and committed once 'port' is read; any other value word is a
    // value; anything else ends the list.
    private static readonly Parser<ImmutableArray<ValueSyntax>> Values = input =>
    {
        var start = (TokenInput)input;
        var scratch = start.Scratch;
        var mark = scratch.Count;
        var at = start.Cursor;
        while (true)
        {
            if (IsPortWord(at))
            {
                var port = Port(start.At(at));
                if (!port.WasSuccessful)
                {
                    scratch.RemoveRange(mark, scratch.Count - mark);
                    return Failed<ValueSyntax, ImmutableArray<ValueSyntax>>(port);
                }

                scratch.Add(port.Value);
                at = ((TokenInput)port.Remainder).Cursor;
            }
            else if (IsValueWord(at))
            {
                scratch.Add(ToWord(at.Token));
                at = at.Next;
            }
            else
            {
                return Result.Success(TakeFrom<ValueSyntax>(scratch, mark), start.At(at));
            }
        }
    };

    private static readonly Parser<ItemSyntax> Option =
        Sequence(Keyword, Values, (keyword, values) => (ItemSyntax)new OptionSyntax(keyword.Text, keyword.Position, values));

    // ---- objects ----

    private static readonly Parser<ImmutableArray<WordSyntax>> Header =
        Sequence(
            Word(IsObjectStart, "a rule"),
            Word(t => t.Token.Kind == TokenKind.Word && !IsKeywordStart(t), "a word").XOptional(),
            (first, second) => second.IsDefined ? ImmutableArray.Create(first, second.Get()) : ImmutableArray.Create(first));

    private static readonly Parser<ItemSyntax> BodyItem =
        Recovering(Option, EndsBody, IsBodySync, "a rule option (keyword:)");

    private static readonly Parser<ItemSyntax> Object =
        Sequence(
            Sequence(Header, Expect(TokenKind.OpenBrace), (header, open) => (header, open)),
            Sequence(List(BodyItem), Expect(TokenKind.CloseBrace), (body, close) => (body, close)),
            (start, end) => (ItemSyntax)BuildObject(start.header, start.open, end.body, end.close));

    private static ObjectSyntax BuildObject(ImmutableArray<WordSyntax> header, Presence open, ImmutableArray<ItemSyntax> body, Presence close)
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

    private static readonly Parser<ItemSyntax> TopItem =
        Recovering(Object.XOr(Option), t => t.AtEnd, IsTopSync, "a setting (keyword:) or a rule (client pass { ... })");

    private static readonly Parser<FileSyntax> File =
        Map(List(TopItem).End(), items => new FileSyntax(items));

    public static FileSyntax Parse(TokenList tokens, string fileName)
    {
        var start = TokenInput.Start(tokens, fileName);
        var result = File(start);
        return result.WasSuccessful
            ? result.Value
            : new FileSyntax([new ErrorSyntax($"cannot read the file: {result.Message}", ((TokenInput)result.Remainder).Token.Position)]);
    }

    /// <summary>Whether an expected token was there, and the token found in its place.</summary>
    private readonly record struct Presence(bool Found, Token At)
    {
        public ErrorSyntax Missing(string expected) => new($"expected {expected}, found {At.Describe()}", At.Position);
    }

    /// <summary>
    /// Runs <paramref name="item"/>; on failure turns the failure into an <see cref="ErrorSyntax"/>
    /// and skips to the next token where an item can start. Fails, without consuming, only where
    /// <paramref name="ends"/> says the enclosing list is over, so <c>XMany</c> stops there.
    /// </summary>
    private static Parser<ItemSyntax> Recovering(
        Parser<ItemSyntax> item, Func<TokenCursor, bool> ends, Func<TokenCursor, bool> isSync, string what)
    {
        string[] expectations = [what];
        return input =>
        {
            var t = (TokenInput)input;
            if (ends(t.Cursor))
            {
                return Fail<ItemSyntax>(t, expectations);
            }

            var result = item(t);
            if (result.WasSuccessful)
            {
                return result;
            }

            var at = (TokenInput)result.Remainder;
            var expected = at.Index == t.Index ? what : string.Join(" or ", result.Expectations.Distinct());
            var error = new ErrorSyntax($"expected {expected}, found {at.Token.Describe()}", at.Token.Position);
            var resume = at.Index == t.Index ? at.Cursor.Next : at.Cursor;
            while (!isSync(resume))
            {
                resume = resume.Next;
            }

            return Result.Success<ItemSyntax>(error, at.At(resume));
        };
    }
}
