using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>Compiles one <c>client pass|block { }</c> object into a <see cref="Rule"/> (design §2.5).</summary>
internal sealed class RuleCompiler(ValueReader values, ClauseReader clauses, Settings settings)
{
    // One draft for all the rules of a file, cleared per rule: 10,000 rules made 10,000 drafts
    // and their keyword lists, which was a tenth of what the compile step allocated.
    private readonly RuleDraft _draft = new();

    private static readonly Dictionary<string, Protocols> s_protocols = new(StringComparer.Ordinal)
    {
        ["tcp"] = Protocols.Tcp,
        ["udp"] = Protocols.Udp,
    };

    private static readonly Dictionary<string, LogEvents> s_logEvents = new(StringComparer.Ordinal)
    {
        ["connect"] = LogEvents.Connect,
        ["disconnect"] = LogEvents.Disconnect,
        ["error"] = LogEvents.Error,
        ["data"] = LogEvents.Data,
        ["iooperation"] = LogEvents.IoOperation,
        ["ioop"] = LogEvents.IoOperation,
        ["tcpinfo"] = LogEvents.TcpInfo,
    };

    /// <summary>The rule, or null when it has an error (all of them reported).</summary>
    public Rule? Compile(ObjectSyntax syntax, Verdict verdict, int number)
    {
        var draft = _draft;
        draft.Reset(verdict, settings.Timeouts);
        var errorsBefore = values.Diagnostics.ErrorCount;
        var unreadable = false;
        foreach (var item in syntax.Body)
        {
            switch (item)
            {
                case ErrorSyntax error:
                    values.Error(error.Position, error.Message);
                    unreadable = true;
                    break;
                case OptionSyntax option:
                    Add(draft, option);
                    break;
            }
        }

        // A rule the grammar could not read completely may well have its from: or to: in the
        // unreadable part; saying they are missing would only repeat the syntax error.
        if (!unreadable)
        {
            CheckComplete(syntax, draft);
        }

        if (values.Diagnostics.ErrorCount != errorsBefore || draft.From is null || draft.To is null)
        {
            return null;
        }

        var target = draft.Target is var (address, hostname, port)
            ? new BounceTarget(address, hostname, port ?? draft.To.Endpoints[0].Port)
            : null;
        return new Rule(
            number,
            verdict,
            draft.Protocols ?? Protocols.Both,
            draft.From,
            draft.To,
            target,
            draft.Log,
            draft.Timeouts,
            new SessionLimits(draft.Max, draft.Throttle, draft.StateMax, draft.StateThrottle),
            draft.Bandwidth,
            draft.RedirectFrom,
            SocketOptions.Merge(settings.SocketOptions, draft.SocketOptions),
            syntax.Position);
    }

    private void Add(RuleDraft draft, OptionSyntax option)
    {
        var keyword = option.Keyword;
        if (!draft.Once(keyword, option.Position, out var first))
        {
            var what = keyword is "from" or "to" or "bounce to" ? "error" : "warning";
            var message = keyword == "bounce to"
                ? $"duplicate bounce to: (first at line {first.Line}); a rule has one target"
                : $"{keyword}: given twice in this rule (first at line {first.Line}){(what == "error" ? string.Empty : "; the last value counts")}";
            if (what == "error")
            {
                values.Error(option.Position, message);
                return;
            }

            if (keyword is not ("log" or "protocol"))
            {
                values.Warning(option.Position, message);
            }
        }

        if (TimeoutOptions.IsTimeout(keyword))
        {
            draft.Timeouts = TimeoutOptions.Apply(option, values, draft.Timeouts);
            return;
        }

        if (SocketOptions.IsSocketOptionKeyword(keyword))
        {
            AddSocketOption(draft, option);
            return;
        }

        if (SessionLimitOptions.IsSessionLimit(keyword))
        {
            SessionLimitOptions.Apply(option, values, draft);
            return;
        }

        AddOption(draft, option);
    }

    private void AddOption(RuleDraft draft, OptionSyntax option)
    {
        switch (option.Keyword)
        {
            case "from":
                draft.From = clauses.ReadFrom(option);
                break;
            case "to":
                draft.To = clauses.ReadTo(option);
                break;
            case "bounce to":
                draft.Target = clauses.ReadBounceTo(option);
                break;
            case "protocol":
                draft.Protocols = (draft.Protocols ?? Protocols.None)
                    | (values.ListOf(option, s_protocols, "protocol", "tcp, udp", (a, b) => a | b) ?? Protocols.None);
                break;
            case "log":
                draft.Log |= values.ListOf(option, s_logEvents, "log event", "connect, disconnect, error, data, iooperation, tcpinfo", (a, b) => a | b) ?? LogEvents.None;
                break;
            case "session.inheritable":
                values.YesNo(option);
                break;
            case "bandwidth":
                draft.Bandwidth = values.Number(option, 1, long.MaxValue / 2, "bytes per second, at least 1");
                break;
            case "redirect from":
                draft.RedirectFrom = clauses.ReadRedirectFrom(option);
                break;
            case "clientmethod" or "method":
                ClientMethods.Read(option, values);
                break;
            default:
                ReportUnknownRuleOption(option);
                break;
        }
    }

    private void ReportUnknownRuleOption(OptionSyntax option)
    {
        var keyword = option.Keyword;
        var message = keyword switch
        {
            _ when Keywords.RejectedRuleOptions.TryGetValue(keyword, out var rejected) => rejected,
            _ when keyword.StartsWith("pam.", StringComparison.Ordinal) =>
                $"{keyword}: is not supported: Bouncer has no PAM; restrict clients with from:",
            _ when Keywords.CaseMessage(keyword) is { } caseMessage => caseMessage,
            _ when Keywords.IsSetting(keyword) =>
                $"{keyword}: is a setting, not a rule option; settings go before the first rule",
            _ => $"unknown rule option '{keyword}'{Keywords.DidYouMean(keyword, Keywords.RuleOptions)}",
        };
        values.Error(option.Position, message);
    }

    private void AddSocketOption(RuleDraft draft, OptionSyntax option)
    {
        if (SocketOptions.Read(option, values) is not { } socketOption)
        {
            return;
        }

        if (socketOption.Side == SocketSide.External && draft.Verdict == Verdict.Block)
        {
            values.Error(option.Position, $"{option.Keyword}: in a block rule: a block rule makes no outgoing connection (use internal.* or remove it)");
            return;
        }

        draft.SocketOptions.RemoveAll(o => o.Side == socketOption.Side && o.Kind == socketOption.Kind);
        draft.SocketOptions.Add(socketOption);
    }

    private void CheckComplete(ObjectSyntax syntax, RuleDraft draft)
    {
        if (!draft.Seen("from"))
        {
            values.Error(syntax.Position, "rule has no from: (every rule needs from: and to:)");
        }

        if (!draft.Seen("to"))
        {
            values.Error(syntax.Position, "rule has no to: (every rule needs from: and to:)");
        }

        if (draft.Verdict == Verdict.Pass && !draft.Seen("bounce to"))
        {
            values.Error(syntax.Position, "pass rule has no bounce to: (where to send what it passes)");
        }

        SessionLimitOptions.CheckPerClientLimits(draft, values);
    }
}
