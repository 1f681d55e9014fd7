using System.Text;

namespace Bouncer.Tests.Shared;

/// <summary>
/// Random edits of a rule file: characters deleted, inserted or swapped, tokens removed, repeated,
/// moved, or replaced by one of the grammar's sore points. Driven by the caller's seeded
/// <see cref="Random"/>, so a failure names the case that reproduces it.
/// </summary>
internal static class RuleFileMutator
{
    private static readonly string[] s_interestingTokens =
    [
        "client", "pass", "block", "{", "}", ":", "from:", "to:", "bounce to:", "port", "=", "-", "0/0", "::",
        "port:", "#", "\\\n", "\n", "0x", "010", "65536", "eth0", "nosuch", "log:", "socks", "route", "::ffff:1.2.3.4",
        "10.0.0.0/255.0.255.0", "session.state.key:", "hostid", "external.tcp.tcp_nodelay:", "Client", "\u00e9", "\u0001",
    ];

    private static readonly string s_characters = "abcxyz0189:{}#=<>!-/. \t\n\\%_";

    public static string Mutate(string text, Random random)
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
