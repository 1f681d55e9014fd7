using Bouncer.Cli.Daemon;
using Bouncer.Rules;

namespace Bouncer.Cli.Verify;

/// <summary>
/// <c>bouncer -V</c>: compile the rule file, report every diagnostic GCC style on stderr, and print
/// the compiled table on stdout when there is no error. Binds nothing.
/// </summary>
/// <remarks>
/// A <c>user.unprivileged</c> user this host does not have is a warning here, not an error: the
/// file may be checked on another machine or in a container than the one it runs on, and a
/// check's status should depend on the file alone. Starting as root with it fails.
/// </remarks>
public sealed class VerifyCommand
{
    private readonly Func<string, CompileResult> _load;
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private readonly IProcessCredentials _credentials;

    public VerifyCommand(Func<string, CompileResult> load, TextWriter output, TextWriter error, IProcessCredentials? credentials = null)
    {
        _load = load;
        _output = output;
        _error = error;
        _credentials = credentials ?? ProcessCredentials.Instance;
    }

    public int Run(string path)
    {
        var result = _load(path);
        DiagnosticReport.Write(result, _error);
        if (result.HasErrors || result.Table is null)
        {
            return ExitCodes.ConfigurationError;
        }

        WarnAboutUnknownUser(result.Table.Settings.Users.Unprivileged);
        new RuleTablePrinter(_output).Print(result.Table);
        return ExitCodes.Ok;
    }

    private void WarnAboutUnknownUser(string? name)
    {
        // Elsewhere than Linux the lookup is not implemented (a start as root refuses the setting anyway).
        if (name is null || !_credentials.CanDropPrivileges)
        {
            return;
        }

        try
        {
            if (_credentials.FindUser(name) is null)
            {
                _error.WriteLine($"bouncer: warning: user.unprivileged: no user '{name}' on this host; starting bouncer as root with this file will fail");
            }
        }
        catch (IOException ex)
        {
            _error.WriteLine($"bouncer: warning: user.unprivileged: cannot look up user '{name}': {ex.Message}");
        }
    }
}
