namespace Bouncer.Engine.Tests.Support;

/// <summary>A test of something only Linux has; skipped, and said so, elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Linux only";
        }
    }
}
