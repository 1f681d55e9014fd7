using Bouncer.Cli.Tests.Support;

namespace Bouncer.Cli.Tests.Status;

/// <summary>The tests' reader of the exposition format, which the process tests trust to reject what Prometheus would.</summary>
public sealed class PrometheusTextTests
{
    [Fact]
    public void ReadsTypesLabelsEscapesAndSpecialValues()
    {
        var text = PrometheusText.Parse(
            "# HELP a_total Things.\n# TYPE a_total counter\n" +
            "a_total{rule=\"pass(1)\",listen=\"127.0.0.5.9000\"} 3\n" +
            "a_total{rule=\"say \\\"hi\\\" \\\\ \\n\"} 1.5e3\n" +
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.25\nh_count 2\nb NaN\n");

        Assert.Equal("counter", text.TypesByName["a_total"]);
        Assert.Equal(3, text["a_total", ("listen", "127.0.0.5.9000"), ("rule", "pass(1)")]);
        Assert.Equal(1500, text["a_total", ("rule", "say \"hi\" \\ \n")]);
        Assert.Equal(2, text["h_bucket", ("le", "+Inf")]);
        Assert.Equal(0.25, text["h_sum"]);
        Assert.True(double.IsNaN(text["b"]));
        Assert.False(text.Has("a_total"));
    }

    [Theory]
    [InlineData("a_total{rule=\"x\"}3\n", "a space before the value")]
    [InlineData("a_total{rule=x} 3\n", "label=\"value\"")]
    [InlineData("a_total three\n", "a number")]
    [InlineData("a 1\na 2\n", "each series once")]
    [InlineData("# TYPE a meter\n", "a metric type")]
    [InlineData("9a 1\n", "a metric name")]
    public void RejectsWhatIsNotTheFormat(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => PrometheusText.Parse(text));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
