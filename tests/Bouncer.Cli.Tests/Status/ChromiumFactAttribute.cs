namespace Bouncer.Cli.Tests.Status;

/// <summary>A fact that needs Debian's chromium for a headless browser; skipped, with the reason, where it is missing (CI installs it).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    private static readonly string[] Places = ["/usr/bin/chromium", "/usr/local/bin/chromium", "/usr/bin/chromium-browser"];

    public ChromiumFactAttribute()
    {
        if (Executable is null)
        {
            Skip = "chromium (Debian package chromium) is not installed";
        }
    }

    public static string? Executable => Places.FirstOrDefault(File.Exists);
}
