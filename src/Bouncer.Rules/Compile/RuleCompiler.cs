using System.Collections.Immutable;
using System.Net;
using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>Compiles one <c>client pass|block { }</c> object into a <see cref="Rule"/> (design §2.5).</summary>
internal sealed class RuleCompiler(ValueReader values, ClauseReader clauses, Settings settings)
{
    // One state for all the rules of a file, cleared per rule: 10,000 rules made 10,000 states
    // and their keyword lists, which was a tenth of what the compile step allocated.
    private readonly RuleState _state = new();

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

    private static readonly Dictionary<string, bool> s_stateKeys = new(StringComparer.Ordinal) { ["from"] = true };

    /// <summary>The rule, or null when it has an error (all of them reported).</summary>
    public Rule? Compile(ObjectSyntax syntax, Verdict verdict, int number)
    {
        var state = _state;
        state.Reset(verdict, settings.Timeouts);
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
                    Add(state, option);
                    break;
            }
        }

        // A rule the grammar could not read completely may well have its from: or to: in the
        // unreadable part; saying they are missing would only repeat the syntax error.
        if (!unreadable)
        {
            CheckComplete(syntax, state);
        }

        if (values.Diagnostics.ErrorCount != errorsBefore || state.From is null || state.To is null)
        {
            return null;
        }

        var target = state.Target is var (address, hostname, port)
            ? new BounceTarget(address, hostname, port ?? state.To.Endpoints[0].Port)
            : null;
        return new Rule(
            number,
            verdict,
            state.Protocols ?? Protocols.Both,
            state.From,
            state.To,
            target,
            state.Log,
            state.Timeouts,
            new SessionLimits(state.Max, state.Throttle, state.StateMax, state.StateThrottle),
            state.Bandwidth,
            state.RedirectFrom,
            SocketOptions.Merge(settings.SocketOptions, state.SocketOptions),
            syntax.Position);
    }

    private void Add(RuleState state, OptionSyntax option)
    {
        var keyword = option.Keyword;
        if (!state.Once(keyword, option.Position, out var first))
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
            state.Timeouts = TimeoutOptions.Apply(option, values, state.Timeouts);
            return;
        }

        if (SocketOptions.IsSocketOptionKeyword(keyword))
        {
            AddSocketOption(state, option);
            return;
        }

        AddOption(state, option);
    }

    private void AddOption(RuleState state, OptionSyntax option)
    {
        switch (option.Keyword)
        {
            case "from":
                state.From = clauses.ReadFrom(option);
                break;
            case "to":
                state.To = clauses.ReadTo(option);
                break;
            case "bounce to":
                state.Target = clauses.ReadBounceTo(option);
                break;
            case "protocol":
                state.Protocols = (state.Protocols ?? Protocols.None)
                    | (values.ListOf(option, s_protocols, "protocol", "tcp, udp", (a, b) => a | b) ?? Protocols.None);
                break;
            case "log":
                state.Log |= values.ListOf(option, s_logEvents, "log event", "connect, disconnect, error, data, iooperation, tcpinfo", (a, b) => a | b) ?? LogEvents.None;
                break;
            case "session.max":
                state.Max = (int?)values.Number(option, 1, int.MaxValue, "sessions, at least 1");
                break;
            case "session.throttle":
                state.Throttle = ReadThrottle(option);
                break;
            case "session.state.key":
                state.StateKeyAt = ReadStateKey(option) ? option.Position : null;
                break;
            case "session.state.max":
                state.StateMaxAt = option.Position;
                state.StateMax = (int?)values.Number(option, 1, int.MaxValue, "sessions per client, at least 1");
                break;
            case "session.state.throttle":
                state.StateThrottleAt = option.Position;
                state.StateThrottle = ReadThrottle(option);
                break;
            default:
                AddRemaining(state, option);
                break;
        }
    }

    private void AddRemaining(RuleState state, OptionSyntax option)
    {
        switch (option.Keyword)
        {
            case "session.inheritable":
                values.YesNo(option);
                break;
            case "bandwidth":
                state.Bandwidth = values.Number(option, 1, long.MaxValue / 2, "bytes per second, at least 1");
                break;
            case "redirect from":
                state.RedirectFrom = clauses.ReadRedirectFrom(option);
                break;
            case "clientmethod":
                ClientMethods.Read(option, values);
                break;
            case "method":
                values.Warning(option.Position, "method: is deprecated; write clientmethod:");
                ClientMethods.Read(option, values);
                break;
            default:
                ReportUnknown(option);
                break;
        }
    }

    private void ReportUnknown(OptionSyntax option)
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

    private void AddSocketOption(RuleState state, OptionSyntax option)
    {
        if (SocketOptions.Read(option, values) is not { } socketOption)
        {
            return;
        }

        if (socketOption.Side == SocketSide.External && state.Verdict == Verdict.Block)
        {
            values.Error(option.Position, $"{option.Keyword}: in a block rule: a block rule makes no outgoing connection (use internal.* or remove it)");
            return;
        }

        state.SocketOptions.RemoveAll(o => o.Side == socketOption.Side && o.Kind == socketOption.Kind);
        state.SocketOptions.Add(socketOption);
    }

    private bool ReadStateKey(OptionSyntax option)
    {
        if (values.Single(option, "from") is { Text: "hostid" } word)
        {
            values.Error(word.Position, "session.state.key: hostid is not supported (Bouncer reads no host-id headers); use from");
            return false;
        }

        return values.OneOf(option, s_stateKeys, "session.state.key", "from") is not null;
    }

    /// <summary><c>N/S</c>: at most N new sessions per S seconds.</summary>
    private Throttle? ReadThrottle(OptionSyntax option)
    {
        const string expected = "N/S: at most N new sessions per S seconds, like 10/60";
        if (values.Single(option, expected) is not { } word)
        {
            return null;
        }

        var slash = word.Text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            values.Error(word.Position, $"{option.Keyword}: expected {expected}, found '{word.Text}'");
            return null;
        }

        var count = ThrottlePart(option, word.Text[..slash], word.Position, "sessions");
        var seconds = ThrottlePart(option, word.Text[(slash + 1)..], word.At(slash + 1), "seconds");
        return count is null || seconds is null ? null : new Throttle((int)count, TimeSpan.FromSeconds(seconds.Value));
    }

    private long? ThrottlePart(OptionSyntax option, string text, SourcePosition position, string what)
    {
        if (!Numbers.TryParse(text, int.MaxValue, out var value, out var error))
        {
            values.Error(position, $"{option.Keyword}: {error}");
            return null;
        }

        if (value < 1)
        {
            values.Error(position, $"{option.Keyword}: {what} must be at least 1");
            return null;
        }

        return value;
    }

    private void CheckComplete(ObjectSyntax syntax, RuleState state)
    {
        if (!state.Seen("from"))
        {
            values.Error(syntax.Position, "rule has no from: (every rule needs from: and to:)");
        }

        if (!state.Seen("to"))
        {
            values.Error(syntax.Position, "rule has no to: (every rule needs from: and to:)");
        }

        if (state.Verdict == Verdict.Pass && !state.Seen("bounce to"))
        {
            values.Error(syntax.Position, "pass rule has no bounce to: (where to send what it passes)");
        }

        if (state.StateKeyAt is { } keyAt && state.StateMaxAt is null && state.StateThrottleAt is null)
        {
            values.Error(keyAt, "session.state.key: from needs session.state.max: or session.state.throttle: (the limits it applies per client)");
        }

        if (state.StateKeyAt is null && !state.Seen("session.state.key"))
        {
            ReportNeedsStateKey(state.StateMaxAt);
            ReportNeedsStateKey(state.StateThrottleAt);
        }
    }

    private void ReportNeedsStateKey(SourcePosition? at)
    {
        if (at is { } position)
        {
            values.Error(position, "per-client limits need session.state.key: from");
        }
    }

    /// <summary>What one rule has said so far.</summary>
    private sealed class RuleState
    {
        // A rule has a handful of options: a short list searched in order is cheaper than a
        // dictionary per rule (10,000 of them in a large file).
        private readonly List<(string Keyword, SourcePosition Position)> _seen = new(8);

        public Verdict Verdict { get; private set; }

        public Timeouts Timeouts { get; set; } = Timeouts.Defaults;

        public ClientSelector? From { get; set; }

        public ListenSelector? To { get; set; }

        public (IPAddress? Address, string? Hostname, int? Port)? Target { get; set; }

        public Protocols? Protocols { get; set; }

        public LogEvents Log { get; set; }

        public int? Max { get; set; }

        public Throttle? Throttle { get; set; }

        public int? StateMax { get; set; }

        public Throttle? StateThrottle { get; set; }

        public SourcePosition? StateKeyAt { get; set; }

        public SourcePosition? StateMaxAt { get; set; }

        public SourcePosition? StateThrottleAt { get; set; }

        public long? Bandwidth { get; set; }

        public IPAddress? RedirectFrom { get; set; }

        public List<SocketOption> SocketOptions { get; } = [];

        /// <summary>Forgets the previous rule; the next starts with <paramref name="timeouts"/> of the settings.</summary>
        public void Reset(Verdict verdict, Timeouts timeouts)
        {
            _seen.Clear();
            SocketOptions.Clear();
            Verdict = verdict;
            Timeouts = timeouts;
            From = null;
            To = null;
            Target = null;
            Protocols = null;
            Log = LogEvents.None;
            Max = null;
            Throttle = null;
            StateMax = null;
            StateThrottle = null;
            StateKeyAt = null;
            StateMaxAt = null;
            StateThrottleAt = null;
            Bandwidth = null;
            RedirectFrom = null;
        }

        /// <summary>Records <paramref name="keyword"/>; false with the first place when it was seen before.</summary>
        public bool Once(string keyword, SourcePosition position, out SourcePosition first)
        {
            var index = IndexOf(keyword);
            if (index >= 0)
            {
                first = _seen[index].Position;
                return false;
            }

            _seen.Add((keyword, position));
            first = default;
            return true;
        }

        public bool Seen(string keyword) => IndexOf(keyword) >= 0;

        private int IndexOf(string keyword)
        {
            for (var i = 0; i < _seen.Count; i++)
            {
                if (string.Equals(_seen[i].Keyword, keyword, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
