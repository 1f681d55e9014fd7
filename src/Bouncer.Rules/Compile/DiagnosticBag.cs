using System.Collections.Immutable;
using Bouncer.Rules.Diagnostics;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Compile;

/// <summary>Collects the diagnostics of one compile run.</summary>
internal sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];

    public bool HasErrors => ErrorCount > 0;

    public int ErrorCount { get; private set; }

    public void Error(SourcePosition position, string message)
    {
        ErrorCount++;
        _items.Add(new Diagnostic(Severity.Error, position, message));
    }

    public void Warning(SourcePosition position, string message) =>
        _items.Add(new Diagnostic(Severity.Warning, position, message));

    /// <summary>In file order; the sort is stable so problems at one place keep the order they were found in.</summary>
    public ImmutableArray<Diagnostic> ToSortedArray() =>
        _items.OrderBy(d => d.Position.Line).ThenBy(d => d.Position.Column).ToImmutableArray();
}
