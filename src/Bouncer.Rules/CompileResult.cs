using System.Collections.Immutable;
using Bouncer.Rules.Diagnostics;
using Bouncer.Rules.Model;

namespace Bouncer.Rules;

/// <summary>
/// The outcome of reading a rule file: a table when there is no error, and every diagnostic
/// (errors and warnings) in file order.
/// </summary>
public sealed record CompileResult(RuleTable? Table, ImmutableArray<Diagnostic> Diagnostics)
{
    public bool HasErrors => Table is null || Diagnostics.Any(d => d.IsError);
}
