using System.Globalization;
using System.Text;

namespace Bouncer.Rules.Tests;

/// <summary>
/// Thousands of random edits of the valid corpus: whatever the text, compiling gives a table or
/// diagnostics, never an exception or a hang. Seeded, so a failure names the case that reproduces it;
/// set BOUNCER_MUTATION_SEED to explore other seeds.
/// </summary>
public sealed class MutationTests
{
    private const int Mutations = 4000;

    private static readonly string[] s_interestingTokens =
    [
        "client", "pass", "block", "{", "}", ":", "from:", "to:", "bounce to:", "port", "=", "-", "0/0", "::",
        "port:", "#", "\\\n", "\n", "0x", "010", "65536", "eth0", "nosuch", "log:", "socks", "route", "::ffff:1.2.3.4",
        "10.0.0.0/255.0.255.0", "session.state.key:", "hostid", "external.tcp.tcp_nodelay:", "Client", "\u00e9", "\u0001",
    ];

    private static readonly string s_characters = "abcxyz0189:{}#=<>!-/. \t\n\\%_";

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
            var text = Mutate(original, random);
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

    private static string Mutate(string text, Random random)
    {
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            text = random.Next(7) switch
            {
                0 => DeleteCharacters(text, random),
                1 => InsertCharacter(text, random),
                2 => SwapCharacters(text, random),
                3 => EditTokens(text, random, (tokens, i) => tokens.RemoveAt(i)),
                4 => EditTokens(text, random, (tokens, i) => tokens.Insert(i, tokens[random.Next(tokens.Count)])),
                5 => EditTokens(text, random, (tokens, i) => (tokens[i], tokens[^1]) = (tokens[^1], tokens[i])),
                _ => EditTokens(text, random, (tokens, i) => tokens.Insert(i, s_interestingTokens[random.Next(s_interestingTokens.Length)])),
            };
        }

        return text;
    }

    private static string DeleteCharacters(string text, Random random)
    {
        if (text.Length == 0)
        {
            return text;
        }

        var at = random.Next(text.Length);
        return text.Remove(at, Math.Min(random.Next(1, 4), text.Length - at));
    }

    private static string InsertCharacter(string text, Random random) =>
        text.Insert(random.Next(text.Length + 1), s_characters[random.Next(s_characters.Length)].ToString());

    private static string SwapCharacters(string text, Random random)
    {
        if (text.Length < 2)
        {
            return text;
        }

        var at = random.Next(text.Length - 1);
        var chars = text.ToCharArray();
        (chars[at], chars[at + 1]) = (chars[at + 1], chars[at]);
        return new string(chars);
    }

    /// <summary>Splits at blanks (keeping line breaks as tokens), edits the list, joins with blanks.</summary>
    private static string EditTokens(string text, Random random, Action<List<string>, int> edit)
    {
        var tokens = text.Replace("\n", " \n ", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (tokens.Count == 0)
        {
            return text;
        }

        edit(tokens, random.Next(tokens.Count));
        var builder = new StringBuilder();
        foreach (var token in tokens)
        {
            builder.Append(token).Append(token == "\n" ? string.Empty : " ");
        }

        return builder.ToString();
    }
}
