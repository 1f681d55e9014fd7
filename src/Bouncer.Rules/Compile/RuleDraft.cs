using System.Net;
using Bouncer.Rules.Model;

namespace Bouncer.Rules.Compile;

/// <summary>What one rule has said so far, while <see cref="RuleCompiler"/> reads its options.</summary>
internal sealed class RuleDraft
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
