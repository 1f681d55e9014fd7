using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>
/// <c>clientmethod:</c> and <c>method:</c>. Only <c>none</c> is possible: anything that would restrict
/// access and cannot be enforced is an error, never ignored.
/// </summary>
internal static class ClientMethods
{
    /// <summary>Checks <paramref name="option"/>; the old name <c>method:</c> is read with a warning.</summary>
    public static void Read(OptionSyntax option, ValueReader values)
    {
        if (option.Keyword == "method")
        {
            values.Warning(option.Position, "method: is deprecated; write clientmethod:");
        }

        if (option.Values.Length == 0)
        {
            values.Error(option.Position, $"{option.Keyword}: needs a value (none)");
        }

        foreach (var word in values.Words(option))
        {
            var text = word.Text;
            var message = text switch
            {
                "none" => null,
                "rfc931" => $"{option.Keyword}: rfc931 (ident) is not supported: Bouncer cannot enforce it; restrict clients with from:",
                _ when text.StartsWith("pam", StringComparison.Ordinal) =>
                    $"{option.Keyword}: {text} is not supported: Bouncer has no PAM; restrict clients with from:",
                "username" or "gssapi" or "bsdauth" =>
                    $"{option.Keyword}: {text} is a SOCKS method; a port bouncer has none (expected none)",
                _ => $"unknown client method '{text}' (expected none)",
            };
            if (message is not null)
            {
                values.Error(word.Position, message);
            }
        }
    }
}
