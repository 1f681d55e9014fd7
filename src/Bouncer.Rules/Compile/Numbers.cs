using System.Globalization;

namespace Bouncer.Rules.Compile;

/// <summary>
/// Numbers as the rule language writes them: decimal or <c>0x</c> hex. A leading zero is an error
/// because Barefoot reads <c>010</c> as octal 8, which nobody means.
/// </summary>
internal static class Numbers
{
    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string text, long max, out long value, out string error)
    {
        value = 0;
        error = string.Empty;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            var digits = text.AsSpan(2);
            if (digits.IsEmpty || !long.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) || value < 0)
            {
                error = digits.Length > 15 && IsAll(digits, char.IsAsciiHexDigit)
                    ? $"number '{text}' is too large (at most {max})"
                    : $"'{text}' is not a number (expected decimal digits, or 0x and hex digits)";
                return false;
            }
        }
        else
        {
            if (text.Length == 0 || !IsAll(text, char.IsAsciiDigit))
            {
                error = $"'{text}' is not a number (expected decimal digits, or 0x and hex digits)";
                return false;
            }

            if (text.Length > 1 && text[0] == '0')
            {
                error = $"number '{text}' has a leading zero (Barefoot reads it as octal); write it without the zero, or as 0x hex";
                return false;
            }

            // 19 digits hold every long; long.TryParse itself refuses what overflows.
            if (text.Length > 19 || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
            {
                error = $"number '{text}' is too large (at most {max})";
                return false;
            }
        }

        if (value > max)
        {
            error = $"number '{text}' is too large (at most {max})";
            return false;
        }

        return true;
    }

    private static bool IsAll(ReadOnlySpan<char> text, Func<char, bool> predicate)
    {
        foreach (var c in text)
        {
            if (!predicate(c))
            {
                return false;
            }
        }

        return true;
    }
}
