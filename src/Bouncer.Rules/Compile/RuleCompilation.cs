using System.Collections.Immutable;
using Bouncer.Rules.Diagnostics;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>
/// The compile step: judges the meaning of a <see cref="FileSyntax"/> and builds the immutable
/// <see cref="RuleTable"/>, collecting every diagnostic on the way.
/// </summary>
internal sealed class RuleCompilation
{
    /// <summary>
    /// A file without a client rule is an error, as in Barefoot ("no client-rules to accept
    /// clients on specified"): there is nothing to listen on, and a file that lost its rules (a
    /// bad merge, a truncated deploy) must not close every listener on reload.
    /// </summary>
    internal const string NoClientRules =
        "no client rules: a rule file needs at least one client pass { ... } or client block { ... } to accept clients on";

    private readonly DiagnosticBag _diagnostics = new();
    private readonly ValueReader _values;
    private readonly AddressReader _addresses;
    private readonly PortReader _ports;
    private readonly NameExpander _names;
    private readonly INetworkEnvironment _environment;
    private readonly string _fileName;
    private readonly SourcePosition _endOfFile;

    private RuleCompilation(string fileName, SourcePosition endOfFile, INetworkEnvironment environment, ServiceNames services)
    {
        _fileName = fileName;
        _endOfFile = endOfFile;
        _environment = environment;
        _values = new ValueReader(_diagnostics);
        _addresses = new AddressReader(_diagnostics);
        _ports = new PortReader(services, _diagnostics);
        _names = new NameExpander(environment, _diagnostics);
    }

    /// <param name="endOfFile">Where the file ends: where the missing rules of a file without one are reported.</param>
    public static (RuleTable? Table, ImmutableArray<Diagnostic> Diagnostics) Compile(
        FileSyntax file, string fileName, SourcePosition endOfFile, INetworkEnvironment environment, ServiceNames services) =>
        new RuleCompilation(fileName, endOfFile, environment.Snapshot(), services).Run(file);

    private (RuleTable?, ImmutableArray<Diagnostic>) Run(FileSyntax file)
    {
        _environment.LookAhead(NamesToExpand.In(file));
        var settingsCompiler = new SettingsCompiler(_values, _addresses, _names);
        var objects = new List<ObjectSyntax>();
        foreach (var item in file.Items)
        {
            switch (item)
            {
                case ErrorSyntax error:
                    _diagnostics.Error(error.Position, error.Message);
                    break;
                case ObjectSyntax obj:
                    objects.Add(obj);
                    break;
                case OptionSyntax option when objects.Count == 0:
                    settingsCompiler.Add(option);
                    break;
                case OptionSyntax option:
                    ReportLateSetting(option);
                    break;
            }
        }

        var settings = settingsCompiler.Build();
        var rules = CompileRules(objects, settings);
        // Only in a file without other errors: one whose rules are all broken has said so already,
        // and an object that is not a client rule (route { }, socks block { }) is an error of its own.
        if (!_diagnostics.HasErrors && rules.Count == 0)
        {
            _diagnostics.Error(_endOfFile, NoClientRules);
        }

        var table = _diagnostics.HasErrors ? null : new RuleTable(_fileName, settings, [.. rules]);
        return (table, _diagnostics.ToSortedArray());
    }

    private void ReportLateSetting(OptionSyntax option)
    {
        var keyword = option.Keyword;
        var message = Keywords.IsSetting(keyword)
            ? $"settings must come before the first rule ({keyword})"
            : Keywords.IsRuleOption(keyword)
                ? $"{keyword}: is a rule option; it belongs inside a rule (client pass {{ ... }})"
                : Keywords.CaseMessage(keyword) ?? $"unknown setting '{keyword}'{Keywords.DidYouMean(keyword, Keywords.Settings)}";
        _diagnostics.Error(option.Position, message);
    }

    private List<Rule> CompileRules(List<ObjectSyntax> objects, Settings settings)
    {
        var clauses = new ClauseReader(_values, _addresses, _ports, _names, _environment, settings);
        var compiler = new RuleCompiler(_values, clauses, settings);
        var rules = new List<Rule>();
        var number = 0;
        foreach (var obj in objects)
        {
            if (ClassifyObject(obj) is not { } verdict)
            {
                foreach (var error in obj.Body.OfType<ErrorSyntax>())
                {
                    _diagnostics.Error(error.Position, error.Message);
                }

                continue;
            }

            number++;
            if (compiler.Compile(obj, verdict, number) is { } rule)
            {
                rules.Add(rule);
            }
        }

        return rules;
    }

    /// <summary>The verdict of a <c>client pass|block</c> header; null after reporting any other object.</summary>
    private Verdict? ClassifyObject(ObjectSyntax obj)
    {
        switch (obj.Header)
        {
            case [{ Text: "client" }, { Text: "pass" }]:
                return Verdict.Pass;
            case [{ Text: "client" }, { Text: "block" }]:
                return Verdict.Block;
        }

        var words = obj.Header.Select(w => w.Text).ToArray();

        // "Client Pass {": say so, and still read the rule so its other problems are reported too.
        var lower = words.Select(w => w.ToLowerInvariant()).ToArray();
        if (lower is ["client", "pass" or "block"])
        {
            var wrong = obj.Header.First(w => w.Text != w.Text.ToLowerInvariant());
            _diagnostics.Error(wrong.Position, Keywords.CaseMessage(wrong.Text)!);
            return lower[1] == "pass" ? Verdict.Pass : Verdict.Block;
        }

        var first = obj.Header[0];
        var message = words switch
        {
            ["socks", ..] or ["pass" or "block"] =>
                $"socks rules are not used by a port bouncer ('{obj.HeaderText}'); write client pass {{ ... }} with a bounce to:",
            ["route" or "monitor"] => $"{words[0]} {{ }} is not supported",
            ["client", var other] => $"expected 'pass' or 'block' after 'client', found '{other}'",
            ["client"] => "expected 'pass' or 'block' after 'client'",
            _ when Keywords.CaseMessage(first.Text) is { } caseMessage => caseMessage,
            _ when obj.Header.Length == 2 && Keywords.CaseMessage(obj.Header[1].Text) is { } caseMessage => caseMessage,
            _ => $"unknown rule type '{obj.HeaderText}' (expected client pass {{ ... }} or client block {{ ... }})",
        };
        var at = words is ["client", _] ? obj.Header[1].Position : first.Position;
        if (words is [_, _] && Keywords.CaseMessage(first.Text) is null && Keywords.CaseMessage(obj.Header[1].Text) is not null)
        {
            at = obj.Header[1].Position;
        }

        _diagnostics.Error(at, message);
        return null;
    }
}
