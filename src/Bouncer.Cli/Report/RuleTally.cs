using System.Runtime.InteropServices;

namespace Bouncer.Cli.Report;

/// <summary>
/// Everything the log says about one rule: a rule is its number, protocol and listening endpoint
/// as logged, so a rule that a reload renumbered, or two rules with one number in different files,
/// stay apart as long as they listen on different endpoints. A pass rule's clients refused by its
/// limits (logged as <c>block(N)</c> lines with <c>session limit reached</c>) count as its refusals.
/// </summary>
public sealed class RuleTally
{
    /// <summary>Open sessions tracked per rule, so a rule that logs <c>connect</c> but not <c>disconnect</c> cannot grow without bound.</summary>
    public const int MaxTrackedOpenSessions = 1_000_000;

    /// <summary>Distinct end reasons kept per rule; error details are few, but a log is not trusted input.</summary>
    public const int MaxEndReasons = 64;

    public const string OtherReasons = "other";

    private readonly Dictionary<string, ClientTally> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _endReasons = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _openSessions = new(StringComparer.Ordinal);
    private readonly Dictionary<long, SeriesBucket> _series = [];
    private long _untrackedOpen;
    private long _trackedOpen;

    public RuleTally(int number, string protocol, string listen)
    {
        Number = number;
        Protocol = protocol;
        Listen = listen;
    }

    public int Number { get; }

    public string Protocol { get; }

    public string Listen { get; }

    /// <summary>The latest target logged for the rule's sessions; null when it only refused.</summary>
    public string? Target { get; private set; }

    /// <summary>A pass rule once any of its sessions was passed; a rule seen only refusing reads as a block rule.</summary>
    public bool Passes { get; private set; }

    public string Label => $"{(Passes ? "pass" : "block")}({Number})";

    public long Sessions { get; private set; }

    /// <summary>Sessions whose start is in the input but whose end is not.</summary>
    public long Open => _trackedOpen + _untrackedOpen;

    public long Refused { get; private set; }

    public int Clients => _clients.Count;

    public long BytesFromClients { get; private set; }

    public long BytesToClients { get; private set; }

    public long FirstSeenTicks { get; private set; } = long.MaxValue;

    public long LastSeenTicks { get; private set; } = long.MinValue;

    public IReadOnlyDictionary<string, long> EndReasons => _endReasons;

    public IReadOnlyDictionary<long, SeriesBucket> Series => _series;

    /// <summary>The busiest clients: most sessions, then most refusals, then by address.</summary>
    public IReadOnlyList<ClientTally> TopClients(int count) =>
        [.. _clients.Values
            .OrderByDescending(c => c.Sessions)
            .ThenByDescending(c => c.Refused)
            .ThenBy(c => c.Address, StringComparer.Ordinal)
            .Take(count)];

    /// <summary>Counts one session line of this rule, and its start in the series when <paramref name="intervalTicks"/> is set.</summary>
    public void Add(in SessionLine line, long? intervalTicks, long? sinceTicks)
    {
        FirstSeenTicks = Math.Min(FirstSeenTicks, line.Ticks);
        LastSeenTicks = Math.Max(LastSeenTicks, line.Ticks);
        var client = ClientOf(line.ClientAddress);
        switch (line.Phase)
        {
            case SessionLinePhase.Open:
                Passes = true;
                SetTarget(line.Target);
                TrackOpen(line.Client);
                CountStart(line.Ticks, intervalTicks, sinceTicks, refused: false);
                break;
            case SessionLinePhase.End:
                Passes = true;
                SetTarget(line.Target);
                Sessions++;
                client.Sessions++;
                BytesFromClients += line.BytesFromClient;
                BytesToClients += line.BytesToClient;
                client.BytesFromClient += line.BytesFromClient;
                client.BytesToClient += line.BytesToClient;
                CountReason(line.Reason);
                if (!EndOpen(line.Client))
                {
                    // Its start was not in the input (or the rule does not log connect): it started duration ago.
                    var started = line.Ticks - (long)(line.DurationSeconds * TimeSpan.TicksPerSecond);
                    CountStart(started, intervalTicks, sinceTicks, refused: false);
                }

                break;
            default:
                Refused++;
                client.Refused++;
                CountReason(line.Reason);
                CountStart(line.Ticks, intervalTicks, sinceTicks, refused: true);
                break;
        }
    }

    private ClientTally ClientOf(ReadOnlySpan<char> address)
    {
        var lookup = _clients.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(address, out var client))
        {
            client = new ClientTally(address.ToString());
            _clients.Add(client.Address, client);
        }

        return client;
    }

    private void SetTarget(ReadOnlySpan<char> target)
    {
        if (!target.IsEmpty && !target.SequenceEqual(Target))
        {
            Target = target.ToString();
        }
    }

    private void TrackOpen(ReadOnlySpan<char> client)
    {
        if (_openSessions.Count >= MaxTrackedOpenSessions)
        {
            _untrackedOpen++;
            return;
        }

        var lookup = _openSessions.GetAlternateLookup<ReadOnlySpan<char>>();
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(lookup, client, out _);
        count++;
        _trackedOpen++;
    }

    /// <summary>Matches an end line to its open line by the client's endpoint (unique among the listener's live sessions).</summary>
    private bool EndOpen(ReadOnlySpan<char> client)
    {
        if (_trackedOpen == 0)
        {
            return false;
        }

        var lookup = _openSessions.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(client, out var count))
        {
            return false;
        }

        if (count == 1)
        {
            lookup.Remove(client);
        }
        else
        {
            lookup[client] = count - 1;
        }

        _trackedOpen--;
        return true;
    }

    private void CountReason(ReadOnlySpan<char> reason)
    {
        var lookup = _endReasons.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.ContainsKey(reason) && _endReasons.Count >= MaxEndReasons)
        {
            reason = OtherReasons;
        }

        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(lookup, reason, out _);
        count++;
    }

    private void CountStart(long ticks, long? intervalTicks, long? sinceTicks, bool refused)
    {
        if (intervalTicks is not { } interval)
        {
            return;
        }

        if (sinceTicks is { } since && ticks < since)
        {
            ticks = since; // started before the window: it belongs to the window's first interval
        }

        ref var bucket = ref CollectionsMarshal.GetValueRefOrAddDefault(_series, BucketOf(ticks, interval), out _);
        bucket = refused ? bucket with { Refused = bucket.Refused + 1 } : bucket with { Sessions = bucket.Sessions + 1 };
    }

    /// <summary>Intervals are aligned to the Unix epoch, so 1h starts on the hour and 1d at midnight UTC.</summary>
    public static long BucketOf(long ticks, long intervalTicks)
    {
        var sinceEpoch = ticks - DateTime.UnixEpoch.Ticks;
        var bucket = sinceEpoch / intervalTicks;
        return sinceEpoch < 0 && sinceEpoch % intervalTicks != 0 ? bucket - 1 : bucket;
    }
}
