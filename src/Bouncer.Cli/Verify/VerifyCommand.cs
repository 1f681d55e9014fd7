using Bouncer.Rules;

namespace Bouncer.Cli.Verify;

/// <summary>
/// <c>bouncer -V</c>: compile the rule file, report every diagnostic GCC style on stderr, and print
/// the compiled table on stdout when there is no error. Binds nothing.
/// </summary>
public sealed class VerifyCommand
{
    private readonly Func<string, CompileResult> _load;
    private readonly TextWriter _output;
    private readonly TextWriter _error;

    public VerifyCommand(Func<string, CompileResult> load, TextWriter output, TextWriter error)
    {
        _load = load;
        _output = output;
        _error = error;
    }

    public int Run(string path)
    {
        var result = _load(path);
        DiagnosticReport.Write(result, _error);
        if (result.HasErrors || result.Table is null)
        {
            return ExitCodes.ConfigurationError;
        }

        new RuleTablePrinter(_output).Print(result.Table);
        return ExitCodes.Ok;
    }
}
