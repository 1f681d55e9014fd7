namespace Bouncer.Rules.Model;

/// <summary>A place in a rule file: 1-based line and column.</summary>
public readonly record struct SourcePosition(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
