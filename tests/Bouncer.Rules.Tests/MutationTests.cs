using System.Globalization;
using Bouncer.Tests.Shared;

namespace Bouncer.Rules.Tests;

/// <summary>
/// Thousands of random edits of the valid corpus: whatever the text, compiling gives a table or
/// diagnostics, never an exception or a hang. Seeded, so a failure names the case that reproduces it;
/// set BOUNCER_MUTATION_SEED to explore other seeds.
/// </summary>
public sealed class MutationTests
{
    private const int Mutations = 4000;

    [Fact]
    public async Task Random_edits_of_valid_files_give_only_diagnostics()
    {
        var seed = int.TryParse(System.Environment.GetEnvironmentVariable("BOUNCER_MUTATION_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 20251122;
        var corpus = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Corpus", "valid"), "*.conf")
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllText)
            .ToArray();
        Assert.NotEmpty(corpus);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var checkedCount = await Task.Run(() => Run(corpus, seed, timeout.Token), timeout.Token);
        Assert.Equal(Mutations, checkedCount);
    }

    private static int Run(string[] corpus, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var errors = 0;
        for (var i = 0; i < Mutations; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var original = corpus[random.Next(corpus.Length)];
            var text = RuleFileMutator.Mutate(original, random);
            CompileResult result;
            try
            {
                result = TestCompiler.Compile(text, "m.conf");
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {seed}, case {i}: {ex.GetType().Name}: {ex.Message}\n--- text ---\n{text}");
                throw;
            }

            Check(result, text, $"seed {seed}, case {i}");
            errors += result.HasErrors ? 1 : 0;
        }

        // The edits must actually break files most of the time, or this test proves little.
        Assert.True(errors > Mutations / 2, $"only {errors} of {Mutations} mutations gave an error");
        return Mutations;
    }

    private static void Check(CompileResult result, string text, string label)
    {
        var hasError = result.Diagnostics.Any(d => d.IsError);
        Assert.True(hasError == (result.Table is null), $"{label}: a table exactly when there is no error\n{text}");
        Assert.True(result.Diagnostics.Count(d => d.IsError) <= RuleFile.MaxErrors + 1, label);
        var lines = text.Count(c => c == '\n') + 1;
        foreach (var diagnostic in result.Diagnostics)
        {
            Assert.False(string.IsNullOrWhiteSpace(diagnostic.Message), label);
            Assert.InRange(diagnostic.Position.Line, 0, lines);
            Assert.True(diagnostic.Position.Line == 0 || diagnostic.Position.Column >= 1, $"{label}: {diagnostic}");
        }
    }
}
