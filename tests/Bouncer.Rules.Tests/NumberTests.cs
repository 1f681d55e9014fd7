using Bouncer.Rules.Compile;

namespace Bouncer.Rules.Tests;

public sealed class NumberTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("7", 7)]
    [InlineData("65535", 65535)]
    [InlineData("0x10", 16)]
    [InlineData("0XfF", 255)]
    [InlineData("0x0", 0)]
    public void Reads_decimal_and_hex(string text, long expected)
    {
        Assert.True(Numbers.TryParse(text, long.MaxValue, out var value, out var error), error);
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("010", "number '010' has a leading zero (Barefoot reads it as octal); write it without the zero, or as 0x hex")]
    [InlineData("00", "number '00' has a leading zero (Barefoot reads it as octal); write it without the zero, or as 0x hex")]
    [InlineData("0x", "'0x' is not a number (expected decimal digits, or 0x and hex digits)")]
    [InlineData("0xg", "'0xg' is not a number (expected decimal digits, or 0x and hex digits)")]
    [InlineData("-1", "'-1' is not a number (expected decimal digits, or 0x and hex digits)")]
    [InlineData("1e3", "'1e3' is not a number (expected decimal digits, or 0x and hex digits)")]
    [InlineData("", "'' is not a number (expected decimal digits, or 0x and hex digits)")]
    [InlineData("100", "number '100' is too large (at most 99)")]
    [InlineData("0x64", "number '0x64' is too large (at most 99)")]
    [InlineData("99999999999999999999999", "number '99999999999999999999999' is too large (at most 99)")]
    [InlineData("0xffffffffffffffffffff", "number '0xffffffffffffffffffff' is too large (at most 99)")]
    public void Rejects_with_a_reason(string text, string expected)
    {
        Assert.False(Numbers.TryParse(text, 99, out _, out var error));
        Assert.Equal(expected, error);
    }
}
