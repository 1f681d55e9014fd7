using Bouncer.Rules;
using Bouncer.Rules.Environment;

namespace Bouncer.Cli.Verify;

/// <summary>The production way to read a rule file: the real host's interfaces and resolver.</summary>
public static class RuleFileLoader
{
    public static CompileResult Load(string path) => RuleFile.Load(path, SystemNetworkEnvironment.Instance);
}
