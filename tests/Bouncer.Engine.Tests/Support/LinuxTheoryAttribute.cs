namespace Bouncer.Engine.Tests.Support;

/// <summary>A theory about something only Linux has; skipped, and said so, elsewhere.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only";
        }
    }
}
