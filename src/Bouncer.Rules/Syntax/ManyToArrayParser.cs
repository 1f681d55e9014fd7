using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Pidgin;

namespace Bouncer.Rules.Syntax;

/// <summary>
/// Pidgin's <c>Many</c> with the same meaning (an item that fails without consuming ends the
/// list, one that fails after consuming fails the list), gathered into an array of the exact size.
/// </summary>
/// <remarks>
/// Written out because <c>Many</c> runs on every option and rule of a file: it is
/// <c>AtLeastOnce().Or(Return(empty))</c>, so each list also pays an <c>Or</c>, and it returns a
/// <see cref="List{T}"/> that would be copied again into the <see cref="ImmutableArray{T}"/> the
/// syntax records hold. Items are gathered in pooled memory, from the shared array pool, which is
/// what Pidgin's default configuration gives without a generic interface call per list.
/// </remarks>
internal sealed class ManyToArrayParser<T>(Parser<Token, T> item) : Parser<Token, ImmutableArray<T>>
{
    public override bool TryParse(
        ref ParseState<Token> state, ref PooledList<Expected<Token>> expecteds, [MaybeNullWhen(false)] out ImmutableArray<T> result)
    {
        var items = default(PooledList<T>);
        var itemExpecteds = default(PooledList<Expected<Token>>);
        try
        {
            while (true)
            {
                var start = state.Location;
                if (!item.TryParse(ref state, ref itemExpecteds, out var value))
                {
                    if (state.Location > start)
                    {
                        expecteds.AddRange(itemExpecteds.AsSpan());
                        result = default;
                        return false;
                    }

                    break;
                }

                if (state.Location == start)
                {
                    throw new InvalidOperationException("a list item that consumes nothing would repeat for ever");
                }

                items.Add(value);
                itemExpecteds.Clear();
            }

            result = items.Count == 0 ? [] : ImmutableCollectionsMarshal.AsImmutableArray(items.AsSpan().ToArray());
            return true;
        }
        finally
        {
            itemExpecteds.Dispose();
            items.Dispose();
        }
    }
}
