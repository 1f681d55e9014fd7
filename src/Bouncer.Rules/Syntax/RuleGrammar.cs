// The grammar of rule files, in one place.
//
// Written with Sprache 2.3.1 over tokens from the hand lexer (Lexer.cs). Only the committing
// combinators are used: XOr, XMany, XOptional. Once a parser has consumed a token it is committed,
// so a failure is reported where the text went wrong instead of being backtracked into a vague error
// at the start of the rule. That is also Pidgin's model (Or/Many without Try), so moving to Pidgin is
// a mechanical rename of this file: XOr -> Or, XMany -> Many, XOptional -> Optional, Select/Then stay.
// The primitives below are small delegates over TokenInput; nothing of Sprache leaves this file
// and TokenInput.cs (both internal).
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

    private static bool IsKeywordStart(TokenInput t) =>
        t.Token.Kind == TokenKind.Word
        && (t.Peek(1).Kind == TokenKind.Colon
            || (s_twoWordKeywordHeads.Contains(t.Token.Text) && t.Peek(1).Kind == TokenKind.Word && t.Peek(2).Kind == TokenKind.Colon));

    private static bool IsObjectStart(TokenInput t) =>
        t.Token.Kind == TokenKind.Word
        && (t.Peek(1).Kind == TokenKind.OpenBrace
            || (t.Peek(1).Kind == TokenKind.Word && t.Peek(2).Kind == TokenKind.OpenBrace)
            || (s_objectWords.Contains(t.Token.Text) && t.Peek(1).Kind != TokenKind.Colon));

    private static bool IsValueWord(TokenInput t) =>
        t.Token.Kind == TokenKind.Word && !IsKeywordStart(t) && !IsObjectStart(t);

    private static bool EndsBody(TokenInput t) =>
        t.AtEnd || t.Token.Kind == TokenKind.CloseBrace || IsObjectStart(t);

    private static bool IsBodySync(TokenInput t) => EndsBody(t) || IsKeywordStart(t);

    private static bool IsTopSync(TokenInput t) => t.AtEnd || IsKeywordStart(t) || IsObjectStart(t);

    // ---- primitives ----

    // Failures carry only what was expected (one array per parser, made once); what was found is
    // described from the failing token when a failure becomes an ErrorSyntax. Failures are frequent
    // (every list ends with one), so they must not allocate messages.
    private static IResult<T> Fail<T>(TokenInput at, string[] expected) =>
        Result.Failure<T>(at, string.Empty, expected);

    private static WordSyntax ToWord(Token token) => new(token.Text, token.Position);

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

    /// <summary>One word for which <paramref name="accept"/> holds.</summary>
    private static Parser<WordSyntax> Word(Func<TokenInput, bool> accept, string expected)
    {
        string[] expectations = [expected];
        return input =>
        {
            var t = (TokenInput)input;
            return accept(t) ? Result.Success(ToWord(t.Token), t.Next) : Fail<WordSyntax>(t, expectations);
        };
    }

    /// <summary>Succeeds without consuming, recording that something expected is missing.</summary>
    private static Parser<ErrorSyntax?> Missing(string expected) => input =>
    {
        var t = (TokenInput)input;
        return Result.Success<ErrorSyntax?>(new ErrorSyntax($"expected {expected}, found {t.Token.Describe()}", t.Token.Position), t);
    };

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
            return Result.Success((t.Token.Text, t.Token.Position), t.Next.Next);
        }

        if (IsKeywordStart(t))
        {
            return Result.Success(($"{t.Token.Text} {t.Peek(1).Text}", t.Token.Position), t.Next.Next.Next);
        }

        return Fail<(string, SourcePosition)>(t.Next, [$"':' after '{t.Token.Text}'"]);
    };

    // ---- values ----

    private static readonly Parser<WordSyntax> PortValue =
        Word(IsValueWord, "a port number or service name");

    private static readonly Parser<WordSyntax> PortKeyword =
        Word(t => t.Token.Kind == TokenKind.Word && string.Equals(t.Token.Text, "port", StringComparison.OrdinalIgnoreCase), "port");

    private static readonly Parser<WordSyntax?> RangeHigh =
        (from dash in Symbol(TokenKind.Dash, "'-'")
         from high in PortValue
         select high)
        .XOptional()
        .Select(high => high.GetOrDefault());

    private const string AfterPort = $"a port operator ({PortOperators}), ':' or a range after 'port'";

    /// <summary>What follows <c>port</c>: (operator as written, value, high end of a spaced range).</summary>
    private static readonly Parser<(string Operator, WordSyntax Low, WordSyntax? High)> PortTail =
        (from op in Symbol(TokenKind.Operator, AfterPort)
         from value in PortValue
         select (op.Text, value, (WordSyntax?)null))
        .XOr(from colon in Symbol(TokenKind.Colon, AfterPort)
             from value in PortValue
             select (":", value, (WordSyntax?)null))
        .XOr(Word(IsValueWord, AfterPort)
            .Then(first => s_portOperatorWords.Contains(first.Text)
                ? PortValue.Select(value => (first.Text, value, (WordSyntax?)null))
                : RangeHigh.Select(high => (string.Empty, first, high))));

    private static readonly Parser<ValueSyntax> Port =
        from keyword in PortKeyword
        from tail in PortTail
        select (ValueSyntax)new PortSyntax(keyword, tail.Operator, tail.Low, tail.High);

    private static readonly Parser<ValueSyntax> Value =
        Port.XOr(Word(IsValueWord, "a value"));

    // Lists are built once here, not inside the LINQ lambdas below, which would rebuild them per use.
    private static readonly Parser<IEnumerable<ValueSyntax>> Values = Value.XMany();

    private static readonly Parser<ItemSyntax> Option =
        from keyword in Keyword
        from values in Values
        select (ItemSyntax)new OptionSyntax(keyword.Text, keyword.Position, values.ToImmutableArray());

    // ---- objects ----

    private static readonly Parser<ImmutableArray<WordSyntax>> Header =
        from first in Word(IsObjectStart, "a rule")
        from second in Word(t => t.Token.Kind == TokenKind.Word && !IsKeywordStart(t), "a word").XOptional()
        select second.IsDefined ? ImmutableArray.Create(first, second.Get()) : ImmutableArray.Create(first);

    private static readonly Parser<ItemSyntax> BodyItem =
        Recovering(Option, EndsBody, IsBodySync, "a rule option (keyword:)");

    private static readonly Parser<IEnumerable<ItemSyntax>> Body = BodyItem.XMany();

    private static readonly Parser<ItemSyntax> Object =
        from header in Header
        from open in Symbol(TokenKind.OpenBrace, "'{'").Select(_ => (ErrorSyntax?)null)
            .XOr(Missing($"'{{' after '{string.Join(' ', header.Select(w => w.Text))}'"))
        from body in Body
        from close in Symbol(TokenKind.CloseBrace, "'}'").Select(_ => (ErrorSyntax?)null)
            .XOr(Missing($"'}}' to close the rule at line {header[0].Position.Line}"))
        select (ItemSyntax)new ObjectSyntax(
            header,
            header[0].Position,
            Errors(open).Concat(body).Concat(Errors(close)).ToImmutableArray());

    private static readonly Parser<ItemSyntax> TopItem =
        Recovering(Object.XOr(Option), t => t.AtEnd, IsTopSync, "a setting (keyword:) or a rule (client pass { ... })");

    private static readonly Parser<FileSyntax> File =
        TopItem.XMany().End().Select(items => new FileSyntax(items.ToImmutableArray()));

    public static FileSyntax Parse(ImmutableArray<Token> tokens, string fileName)
    {
        var start = TokenInput.Start(tokens, fileName);
        var result = File(start);
        return result.WasSuccessful
            ? result.Value
            : new FileSyntax([new ErrorSyntax($"cannot read the file: {result.Message}", ((TokenInput)result.Remainder).Token.Position)]);
    }

    private static IEnumerable<ItemSyntax> Errors(ErrorSyntax? error) => error is null ? [] : [error];

    /// <summary>
    /// Runs <paramref name="item"/>; on failure turns the failure into an <see cref="ErrorSyntax"/>
    /// and skips to the next token where an item can start. Fails, without consuming, only where
    /// <paramref name="ends"/> says the enclosing list is over, so <c>XMany</c> stops there.
    /// </summary>
    private static Parser<ItemSyntax> Recovering(
        Parser<ItemSyntax> item, Func<TokenInput, bool> ends, Func<TokenInput, bool> isSync, string what) => input =>
    {
        var t = (TokenInput)input;
        if (ends(t))
        {
            return Fail<ItemSyntax>(t, [what]);
        }

        var result = item(t);
        if (result.WasSuccessful)
        {
            return result;
        }

        var at = (TokenInput)result.Remainder;
        var expected = at.Index == t.Index ? what : string.Join(" or ", result.Expectations.Distinct());
        var error = new ErrorSyntax($"expected {expected}, found {at.Token.Describe()}", at.Token.Position);
        var resume = at.Index == t.Index ? at.Next : at;
        while (!isSync(resume))
        {
            resume = resume.Next;
        }

        return Result.Success<ItemSyntax>(error, resume);
    };
}
