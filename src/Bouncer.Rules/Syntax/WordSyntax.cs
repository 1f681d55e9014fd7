using Bouncer.Rules.Model;

namespace Bouncer.Rules.Syntax;

/// <summary>A value of a setting or option. A word, or a port clause that follows an address.</summary>
internal abstract record ValueSyntax(SourcePosition Position);

/// <summary>One word as written: an address, number, name or path.</summary>
internal sealed record WordSyntax(string Text, SourcePosition Position) : ValueSyntax(Position)
{
    /// <summary>The position of character <paramref name="offset"/> of the word (words never span lines).</summary>
    public SourcePosition At(int offset) => Position with { Column = Position.Column + offset };

    public override string ToString() => Text;
}

/// <summary>
/// <c>port = 80</c>, <c>port eq http</c>, <c>port: 80</c>, <c>port 1024-65535</c>, <c>port 1024 - 65535</c>.
/// <see cref="Operator"/> is the operator as written: a symbol, an operator word, ":" for
/// <c>port:</c>, or empty for a bare value or range. <see cref="High"/> is set when the range was written
/// with a separate dash; a range inside one word (<c>1024-65535</c>) is split by the compile step.
/// </summary>
internal sealed record PortSyntax(WordSyntax Keyword, string Operator, WordSyntax Low, WordSyntax? High)
    : ValueSyntax(Keyword.Position)
{
    public override string ToString() => High is null
        ? $"port {Operator} {Low}".Replace("  ", " ", StringComparison.Ordinal)
        : $"port {Low}-{High}";
}
