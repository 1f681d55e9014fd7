using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules.Compile;

/// <summary>Turns port clauses and port values into <see cref="PortMatch"/>, reporting what is wrong.</summary>
internal sealed class PortReader(ServiceNames services, DiagnosticBag diagnostics)
{
    private static readonly Dictionary<string, PortOperator> s_operators = new(StringComparer.Ordinal)
    {
        ["="] = PortOperator.Equal,
        ["eq"] = PortOperator.Equal,
        ["!="] = PortOperator.NotEqual,
        ["ne"] = PortOperator.NotEqual,
        ["neq"] = PortOperator.NotEqual,
        ["<"] = PortOperator.Less,
        ["lt"] = PortOperator.Less,
        [">"] = PortOperator.Greater,
        ["gt"] = PortOperator.Greater,
        ["<="] = PortOperator.LessOrEqual,
        ["le"] = PortOperator.LessOrEqual,
        [">="] = PortOperator.GreaterOrEqual,
        ["ge"] = PortOperator.GreaterOrEqual,
    };

    /// <summary>The match a clause states, or null after reporting an error.</summary>
    public PortMatch? Read(PortSyntax port)
    {
        if (port.Keyword.Text != "port")
        {
            diagnostics.Error(port.Position, $"keywords are lower case: write 'port', not '{port.Keyword.Text}'");
            return null;
        }

        if (port.Operator == ":")
        {
            var value = ReadValue(port.Low);
            if (value is { } v)
            {
                diagnostics.Warning(port.Position, $"'port: {port.Low.Text}' is read as 'port = {port.Low.Text}' (Barefoot reads 'port:' as any port); write 'port = {port.Low.Text}'");
                return PortMatch.Exactly(v);
            }

            return null;
        }

        if (s_operators.TryGetValue(port.Operator, out var op))
        {
            return ReadValue(port.Low) is { } v ? new PortMatch(op, v, v) : null;
        }

        return ReadRange(port);
    }

    /// <summary>A number 0-65535 or a service name.</summary>
    public int? ReadValue(WordSyntax word) => ReadValue(word.Text, word.Position);

    private int? ReadValue(string text, SourcePosition position)
    {
        if (text.Length > 0 && char.IsAsciiDigit(text[0]))
        {
            if (Numbers.TryParse(text, long.MaxValue, out var number, out var error))
            {
                if (number <= 65535)
                {
                    return (int)number;
                }

                error = $"port {text} is out of range (0-65535)";
            }

            diagnostics.Error(position, error);
            return null;
        }

        if (services.TryGetPort(text, out var port))
        {
            return port;
        }

        diagnostics.Error(position, $"unknown service name '{text}' (not a port number, nor in the built-in table or /etc/services)");
        return null;
    }

    private PortMatch? ReadRange(PortSyntax port)
    {
        var (lowText, lowPosition, highText, highPosition) = SplitRange(port);
        if (highText is null)
        {
            diagnostics.Error(port.Low.Position, $"expected an operator or a range after 'port', found '{port.Low.Text}' alone (write 'port = {port.Low.Text}')");
            return null;
        }

        var low = ReadValue(lowText, lowPosition);
        var high = ReadValue(highText, highPosition);
        if (low is null || high is null)
        {
            return null;
        }

        if (low > high)
        {
            diagnostics.Error(port.Low.Position, $"reversed port range {lowText}-{highText} (write the low port first: {high}-{low})");
            return null;
        }

        return new PortMatch(PortOperator.Range, low.Value, high.Value);
    }

    /// <summary>
    /// <c>1024 - 65535</c> arrives as two words; <c>1024-65535</c> as one, split here at the dash
    /// unless the whole word is a service name (<c>ftp-data</c>).
    /// </summary>
    private (string Low, SourcePosition LowAt, string? High, SourcePosition HighAt) SplitRange(PortSyntax port)
    {
        if (port.High is not null)
        {
            return (port.Low.Text, port.Low.Position, port.High.Text, port.High.Position);
        }

        var text = port.Low.Text;
        if (services.TryGetPort(text, out _))
        {
            return (text, port.Low.Position, null, default);
        }

        var split = -1;
        for (var i = text.IndexOf('-', StringComparison.Ordinal); i > 0 && i < text.Length - 1; i = text.IndexOf('-', i + 1))
        {
            split = split < 0 ? i : split;
            if (IsPortValue(text[..i]) && IsPortValue(text[(i + 1)..]))
            {
                split = i;
                break;
            }
        }

        return split < 0
            ? (text, port.Low.Position, null, default)
            : (text[..split], port.Low.Position, text[(split + 1)..], port.Low.At(split + 1));
    }

    private bool IsPortValue(string text) =>
        (text.Length > 0 && char.IsAsciiDigit(text[0])) || services.TryGetPort(text, out _);
}
