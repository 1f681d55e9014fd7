namespace Bouncer.Rules.Model;

/// <summary>A place in a rule file: 1-based line and column. Line 0 means the file as a whole.</summary>
public readonly record struct SourcePosition(string File, int Line, int Column)
{
    public override string ToString() => Line <= 0 ? File : $"{File}:{Line}:{Column}";
}
