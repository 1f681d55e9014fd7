using Bouncer.Rules.Environment;

namespace Bouncer.Rules;

/// <summary>Entry point of the language: text or a file in, a <see cref="CompileResult"/> out. Never throws for bad input.</summary>
public static class RuleFile
{
    /// <summary>Reads and compiles <paramref name="path"/>. A missing, unreadable or non-text file is one diagnostic.</summary>
    public static CompileResult Load(string path, INetworkEnvironment environment) =>
        throw new NotImplementedException();

    /// <summary>Compiles rule text; <paramref name="fileName"/> is what diagnostics name.</summary>
    public static CompileResult Parse(string text, string fileName, INetworkEnvironment environment) =>
        throw new NotImplementedException();
}
