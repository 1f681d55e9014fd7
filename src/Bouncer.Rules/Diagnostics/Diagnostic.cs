using Bouncer.Rules.Model;

namespace Bouncer.Rules.Diagnostics;

public enum Severity
{
    Warning,
    Error,
}

/// <summary>One problem found in a rule file, printed GCC style: <c>FILE:LINE:COL: error: MESSAGE</c>.</summary>
public sealed record Diagnostic(Severity Severity, SourcePosition Position, string Message)
{
    public bool IsError => Severity == Severity.Error;

    public override string ToString() =>
        $"{Position}: {(Severity == Severity.Error ? "error" : "warning")}: {Message}";
}
