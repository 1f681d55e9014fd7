using System.Globalization;
using System.Text;

namespace Bouncer.Cli.Tests.Support;

/// <summary>A string writer that the daemon's threads and the test may use at once.</summary>
internal sealed class SynchronizedStringWriter : StringWriter
{
    private readonly Lock _gate = new();

    public SynchronizedStringWriter()
        : base(CultureInfo.InvariantCulture)
    {
    }

    public override void Write(char value)
    {
        lock (_gate)
        {
            base.Write(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_gate)
        {
            base.Write(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_gate)
        {
            base.Write(buffer, index, count);
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return base.ToString();
        }
    }

    public override StringBuilder GetStringBuilder() => throw new NotSupportedException();
}
