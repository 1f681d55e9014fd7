using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;

namespace Bouncer.Cli.Health;

/// <summary>
/// The <c>health</c> subcommand: <c>bouncer health [--timeout MS] ADDRESS:PORT</c>. Exit status 0
/// when the Bouncer listening there answers, 1 when it does not: the check keepalived (or any
/// monitor) runs to move a virtual address away from a host whose Bouncer stopped serving.
/// </summary>
public sealed class HealthCommandLine
{
    /// <summary>Default wait: Bouncer answers in well under a millisecond, and keepalived's own script timeout counts whole seconds.</summary>
    public const int DefaultTimeoutMilliseconds = 500;

    private readonly Option<int> _timeout = new("--timeout")
    {
        Description = "Milliseconds to wait for the connect and for Bouncer's answer together (default 500).",
        HelpName = "MS",
        DefaultValueFactory = _ => DefaultTimeoutMilliseconds,
    };

    private readonly Argument<IPEndPoint?> _endpoint = new("ADDRESS:PORT")
    {
        Description = "A TCP listener of this host's Bouncer, best one on a loopback address with a block rule (docs/operations.md, \"Two hosts, one address\"); IPv6 as [::1]:PORT.",
    };

    private readonly TimeProvider _time;

    public HealthCommandLine(TimeProvider time)
    {
        _time = time;
        Command = new Command(
            "health",
            "Check that the Bouncer on this host serves: connect to one of its TCP listeners and wait for Bouncer itself to answer. Exit 0 serving, 1 not serving.");
        Command.Options.Add(_timeout);
        Command.Arguments.Add(_endpoint);
        _timeout.CustomParser = ParseTimeout;
        _endpoint.CustomParser = ParseEndpoint;
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken) =>
        HealthProbe.RunAsync(
            parseResult.GetValue(_endpoint)!,
            TimeSpan.FromMilliseconds(parseResult.GetValue(_timeout)),
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error,
            _time,
            cancellationToken);

    private static int ParseTimeout(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= 60_000)
        {
            return value;
        }

        result.AddError($"--timeout must be a number of milliseconds from 1 to 60000, not '{text}'.");
        return DefaultTimeoutMilliseconds;
    }

    private static IPEndPoint? ParseEndpoint(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;

        // IPEndPoint.TryParse takes "::1" as an address without a port (port 0); a probe needs a port.
        if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0 &&
            (endpoint.Address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || text.StartsWith('[')))
        {
            return endpoint;
        }

        result.AddError($"health takes the listener as ADDRESS:PORT (IPv6: [ADDRESS]:PORT), such as 127.0.0.1:9099, not '{text}'.");
        return null;
    }
}
