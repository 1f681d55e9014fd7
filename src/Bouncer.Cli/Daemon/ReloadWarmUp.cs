using Bouncer.Engine.State;
using Bouncer.Rules;
using Bouncer.Rules.Model;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// Compiles the start of the rule file again and again in the background, soon after start, so the
/// first SIGHUP finds the compiler in its fastest machine code. The runtime compiles a method to
/// quick code first, then, after about 30 calls once the process has settled, to code that records
/// which branches and types are taken, and only after 30 more to code optimized with that record;
/// each step is compiled on a background thread. The load at start comes before all that, so
/// without a warm-up the first reload of a 10,000-rule file ran the slower code and took 260 to
/// 320 ms against 70 to 115 ms for the later ones (measured with tests/load/reload.sh); with it
/// the first takes about 100 ms when it comes 2 s or more after start. The first rules of the file
/// are the operator's own mix of clauses, so the warm-up runs the code the reload will run. It
/// costs about half a second of one core in the first two seconds. Nothing it compiles is kept;
/// it asks the host nothing (<see cref="OfflineNetworkEnvironment"/>), and a reload or stop ends
/// it between two passes, each a few milliseconds.
/// </summary>
internal sealed class ReloadWarmUp : IAsyncDisposable
{
    /// <summary>
    /// Each round takes a method one tier up: quick code, then code that records which branches
    /// and types are taken, then code optimized with that record (the runtime's tiered PGO).
    /// </summary>
    public const int Rounds = 3;

    /// <summary>Enough for the methods that run once per file to be called past the runtime's threshold in each round.</summary>
    public const int PassesPerRound = 60;

    public const int TotalPasses = Rounds * PassesPerRound;

    /// <summary>Time for the runtime to compile the next tier in the background between rounds.</summary>
    public static readonly TimeSpan PauseBetweenRounds = TimeSpan.FromMilliseconds(300);

    /// <summary>How many rules of the file each pass compiles: 18,000 rules in all, less than two compiles of a 10,000-rule file.</summary>
    public const int RulesPerPass = 100;

    /// <summary>Time for the runtime to settle after start, so that the passes count towards recompiling.</summary>
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// When a reload ended the warm-up early, it starts again this much later: long enough that
    /// reloads in quick succession (which warm the compiler up themselves) do not run into it.
    /// </summary>
    public static readonly TimeSpan DelayAfterReload = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _cancel = new();
    private readonly Task<int> _running;

    private ReloadWarmUp(string path, RuleTable running, TimeSpan delay) =>
        _running = Task.Run(() => RunAsync(path, running, delay, _cancel.Token));

    /// <summary>How many passes ran, once it has ended.</summary>
    public Task<int> Completed => _running;

    /// <summary>Whether every pass ran, so a reload will find the compiler warmed up.</summary>
    public bool Finished => _running.IsCompletedSuccessfully && _running.Result == TotalPasses;

    public static ReloadWarmUp Start(string path, RuleTable running, TimeSpan delay) => new(path, running, delay);

    /// <summary>Ends the warm-up before its next pass (a few milliseconds at most) and waits for that.</summary>
    public async ValueTask DisposeAsync()
    {
        await _cancel.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
        _cancel.Dispose();
    }

    private static async Task<int> RunAsync(string path, RuleTable running, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (!await PauseAsync(delay, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The next reload reports the file's problem; there is nothing to warm up with.
            return 0;
        }

        var start = FirstRules(text, running);
        var passes = 0;
        for (var round = 0; round < Rounds && !cancellationToken.IsCancellationRequested; round++)
        {
            if (round > 0 && !await PauseAsync(PauseBetweenRounds, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            passes += RunRound(start, path, cancellationToken);
        }

        return passes;
    }

    /// <summary>Up to <see cref="PassesPerRound"/> compiles of <paramref name="start"/>; how many ran.</summary>
    private static int RunRound(string start, string path, CancellationToken cancellationToken)
    {
        var passes = 0;

        // Inside the same kind of region a reload runs in, so the memory it will use is touched now
        // and not during the first reload (about 26,000 page faults for a 10,000-rule file).
        using (CollectionFreeRegion.ForRuleFile(path))
        {
            RuleTable? previous = null;
            while (passes < PassesPerRound && !cancellationToken.IsCancellationRequested)
            {
                var table = RuleFile.Parse(start, path, OfflineNetworkEnvironment.Instance).Table;
                if (table is not null)
                {
                    // A reload compares two tables that are alike but not the same objects.
                    _ = RuleTableChanges.Compare(previous ?? table, table);
                    previous = table;
                }

                passes++;
            }
        }

        // A reload that cancelled the warm-up is compiling now; its own collection takes this garbage too.
        if (!cancellationToken.IsCancellationRequested)
        {
            CollectionFreeRegion.CollectAfterCompile();
        }

        return passes;
    }

    /// <summary>False when cancelled during the pause.</summary>
    private static async Task<bool> PauseAsync(TimeSpan pause, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The text before the rule that follows the first <see cref="RulesPerPass"/> rules of the running table (settings included), or all of it.</summary>
    internal static string FirstRules(string text, RuleTable running)
    {
        if (running.Rules.Length <= RulesPerPass)
        {
            return text;
        }

        var end = 0;
        for (var line = 1; line < running.Rules[RulesPerPass].Position.Line; line++)
        {
            var newline = text.IndexOf('\n', end);
            if (newline < 0)
            {
                // The file changed since it was loaded and is shorter now: warm up with all of it.
                return text;
            }

            end = newline + 1;
        }

        return end > 0 ? text[..end] : text;
    }
}
