using Bouncer.Rules.Compile;
using Bouncer.Rules.Diagnostics;

namespace Bouncer.Rules.Tests;

/// <summary>Compiles text with the fake host and the built-in service names only, so results do not depend on the machine.</summary>
internal static class TestCompiler
{
    public static CompileResult Compile(string text, string fileName = "test.conf") =>
        RuleFile.Parse(text, fileName, FakeNetworkEnvironment.Instance, ServiceNames.BuiltIn);

    /// <summary><c>7:31: error: MESSAGE</c>, or <c>error: MESSAGE</c> for the file as a whole.</summary>
    public static string Format(Diagnostic diagnostic)
    {
        var severity = diagnostic.IsError ? "error" : "warning";
        return diagnostic.Position.Line > 0
            ? $"{diagnostic.Position.Line}:{diagnostic.Position.Column}: {severity}: {diagnostic.Message}"
            : $"{severity}: {diagnostic.Message}";
    }

    public static string[] Messages(string text) => Compile(text).Diagnostics.Select(Format).ToArray();

    /// <summary>The one error of <paramref name="text"/>, formatted.</summary>
    public static string SingleError(string text)
    {
        var result = Compile(text);
        Assert.Null(result.Table);
        return Format(Assert.Single(result.Diagnostics, d => d.IsError));
    }
}
