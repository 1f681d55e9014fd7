namespace Bouncer.Cli.CommandLine;

/// <summary>Everything the command line says about a run, after parsing and validation.</summary>
public sealed record DaemonOptions
{
    public const string DefaultConfigPath = "/etc/bouncer.conf";

    public static TimeSpan DefaultDrainTimeout { get; } = TimeSpan.FromSeconds(30);

    public string ConfigPath { get; init; } = DefaultConfigPath;

    /// <summary><c>-d</c>: 0 logs what the rules ask for; 1 and 2 log every event of every rule.</summary>
    public int Debug { get; init; }

    public string? PidFile { get; init; }

    /// <summary><c>-n</c>: no TCP keep-alive on either leg.</summary>
    public bool NoKeepAlive { get; init; }

    /// <summary><c>--log FILE</c>: replaces the rule file's <c>logoutput:</c> destinations.</summary>
    public string? LogFile { get; init; }

    /// <summary><c>--log-format</c>; text unless json is asked for.</summary>
    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    /// <summary><c>--watch</c>: reload when the rule file changes, for platforms without SIGHUP.</summary>
    public bool Watch { get; init; }

    public TimeSpan DrainTimeout { get; init; } = DefaultDrainTimeout;

    /// <summary><c>--max-udp-flows</c>; null keeps the engine's default.</summary>
    public int? MaxUdpFlows { get; init; }

    /// <summary><c>--log-queue</c>; null keeps <see cref="Logging.BoundedQueueSink.DefaultCapacity"/>.</summary>
    public int? LogQueue { get; init; }

    /// <summary><c>--status ADDRESS:PORT</c>: where to serve <c>/metrics</c> and the status page; null serves nothing.</summary>
    public System.Net.IPEndPoint? Status { get; init; }
}
