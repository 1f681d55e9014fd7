using Bouncer.Rules;

namespace Bouncer.Cli.Verify;

/// <summary>Writes every diagnostic of a compile, in file order, one GCC-style line each, and a count of errors.</summary>
public static class DiagnosticReport
{
    public static void Write(CompileResult result, TextWriter writer)
    {
        foreach (var diagnostic in result.Diagnostics)
        {
            writer.WriteLine(diagnostic.ToString());
        }

        var errors = result.Diagnostics.Count(d => d.IsError);
        if (errors > 0)
        {
            writer.WriteLine($"bouncer: {errors} error{(errors == 1 ? string.Empty : "s")}, configuration not loaded");
        }
        else if (result.Table is null)
        {
            writer.WriteLine("bouncer: configuration not loaded");
        }
    }
}
