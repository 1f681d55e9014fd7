using System.Collections.Immutable;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Syntax;

/// <summary>Something at the top level of a file or inside a rule's braces.</summary>
internal abstract record ItemSyntax(SourcePosition Position);

/// <summary>
/// <c>keyword: values...</c>. A setting at the top level, an option inside a rule. Two-word keywords
/// (<c>bounce to</c>, <c>redirect from</c>) are joined with one space.
/// </summary>
internal sealed record OptionSyntax(string Keyword, SourcePosition Position, ImmutableArray<ValueSyntax> Values)
    : ItemSyntax(Position);

/// <summary><c>client pass { ... }</c> and every other braced object. <see cref="Header"/> is the words before the brace.</summary>
internal sealed record ObjectSyntax(ImmutableArray<WordSyntax> Header, SourcePosition Position, ImmutableArray<ItemSyntax> Body)
    : ItemSyntax(Position)
{
    public string HeaderText => string.Join(' ', Header.Select(w => w.Text));
}

/// <summary>A stretch the grammar could not read; <see cref="Message"/> says what was found and what was expected.</summary>
internal sealed record ErrorSyntax(string Message, SourcePosition Position) : ItemSyntax(Position);

/// <summary>A whole file as the grammar read it, errors included.</summary>
internal sealed record FileSyntax(ImmutableArray<ItemSyntax> Items);
