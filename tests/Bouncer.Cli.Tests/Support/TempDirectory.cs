namespace Bouncer.Cli.Tests.Support;

/// <summary>A private directory under the system temp folder, removed with its contents.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("bouncer-cli-tests-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A sink still closing a file; the temp folder is cleaned by the OS eventually.
        }
    }
}
