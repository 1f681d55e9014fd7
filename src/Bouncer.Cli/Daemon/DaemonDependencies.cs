using Bouncer.Cli.Verify;
using Bouncer.Engine;
using Bouncer.Engine.Events;
using Bouncer.Rules;
using Bouncer.Rules.Environment;

namespace Bouncer.Cli.Daemon;

/// <summary>What the daemon runner takes from the outside world; <see cref="Production"/> is the real process.</summary>
public sealed record DaemonDependencies
{
    public required Func<string, CompileResult> LoadRules { get; init; }

    public required Func<EngineOptions, ISessionEventSink, IEngineLog, IForwardingEngine> CreateEngine { get; init; }

    public required TextWriter Stdout { get; init; }

    public required TextWriter Stderr { get; init; }

    /// <summary>Null: no sd_notify (tests that do not check it).</summary>
    public SystemdNotifier? Notifier { get; init; }

    /// <summary>Register SIGTERM/SIGINT/SIGHUP/SIGUSR1 handlers (off in tests, which post commands instead).</summary>
    public bool HandleSignals { get; init; } = true;

    /// <summary>Make the pipeline Serilog's global <see cref="Serilog.Log.Logger"/>.</summary>
    public bool PublishGlobalLogger { get; init; } = true;

    public int ProcessId { get; init; } = Environment.ProcessId;

    /// <summary>The clock of the daemon and its engine (timeouts, reload timing, status updates); tests pass a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Who the process is, for <c>user.unprivileged</c>; tests that run as root pass a stand-in so the test host keeps its ids.</summary>
    public IProcessCredentials Credentials { get; init; } = ProcessCredentials.Instance;

    public static DaemonDependencies Production(TextWriter stdout, TextWriter stderr) => new()
    {
        LoadRules = RuleFileLoader.Load,
        CreateEngine = (options, events, log) =>
            new BouncerEngineAdapter(new BouncerEngine(options, events, log, SystemNetworkEnvironment.Instance)),
        Stdout = stdout,
        Stderr = stderr,
        Notifier = SystemdNotifier.FromEnvironment(TimeProvider.System),
    };
}
