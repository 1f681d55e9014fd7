namespace Bouncer.Tests.Shared;

/// <summary>The source tree the tests were built from, for tests that read samples/ or run its scripts.</summary>
internal static class Repository
{
    /// <summary>The directory that holds Bouncer.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        // Bounded by the depth of the path: each step goes one directory up until there is none.
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Bouncer.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Bouncer.sln above {AppContext.BaseDirectory}");
    }
}
