using System.Diagnostics.CodeAnalysis;
using Pidgin;

namespace Bouncer.Rules.Syntax;

/// <summary>
/// Reads one item of a list (a setting or a rule at the top level, an option inside a rule) and
/// recovers from its failure: the failure becomes an <see cref="ErrorSyntax"/> item and reading
/// resumes at the next token where an item can start, so that one run reports every problem of a
/// file. Fails, without consuming, only where <c>ends</c> says the enclosing list is over, so
/// that <c>Many</c> stops there.
/// </summary>
/// <remarks>
/// A parser of its own rather than Pidgin's <c>RecoverWith</c>, whose handler is told the failure
/// but not where the item began: the message depends on it. A token that cannot begin an item is
/// reported with what the list wanted ("expected a rule option (keyword:), found '='") and skipped;
/// an item that failed after it had begun is reported with what it expected at the token where it
/// stopped ("expected ':' after 'from', found '10.0.0.0/8'"), and reading resumes from that token.
/// The grammar uses no <c>Try</c>, so a parser that fails stops at the token it could not take:
/// that token is the current one here.
/// </remarks>
internal sealed class RecoveringItemParser(
    Parser<Token, ItemSyntax> item, Func<Token, bool> ends, Func<Token, bool> resumesAt, string what)
    : Parser<Token, ItemSyntax>
{
    private readonly Expected<Token> _expected = new(what);

    public override bool TryParse(
        ref ParseState<Token> state, ref PooledList<Expected<Token>> expecteds, [MaybeNullWhen(false)] out ItemSyntax result)
    {
        if (!state.HasCurrent || ends(state.Current))
        {
            state.SetError(state.HasCurrent ? Maybe.Just(state.Current) : Maybe.Nothing<Token>(), !state.HasCurrent, state.Location, null);
            expecteds.Add(_expected);
            result = null;
            return false;
        }

        var start = state.Location;
        var itemExpecteds = default(PooledList<Expected<Token>>);  // the shared pool; see ManyToArrayParser
        if (item.TryParse(ref state, ref itemExpecteds, out result))
        {
            itemExpecteds.Dispose();
            return true;
        }

        var begun = state.Location > start;
        var expected = begun ? Describe(itemExpecteds.AsSpan()) : what;
        itemExpecteds.Dispose();

        var found = state.Current;
        result = new ErrorSyntax($"expected {expected}, found {found.Describe()}", found.Position);
        if (!begun)
        {
            state.Advance();
        }

        while (state.HasCurrent && !resumesAt(state.Current))
        {
            state.Advance();
        }

        return true;
    }

    /// <summary>What the item expected where it stopped: its distinct labels, joined with "or".</summary>
    private string Describe(ReadOnlySpan<Expected<Token>> expecteds)
    {
        var labels = new List<string>(expecteds.Length);
        foreach (var expected in expecteds)
        {
            if (expected.Label is { } label && !labels.Contains(label))
            {
                labels.Add(label);
            }
        }

        return labels.Count == 0 ? what : string.Join(" or ", labels);
    }
}
