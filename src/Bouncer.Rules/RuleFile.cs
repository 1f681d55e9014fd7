using System.Text;
using Bouncer.Rules.Compile;
using Bouncer.Rules.Diagnostics;
using Bouncer.Rules.Environment;
using Bouncer.Rules.Model;
using Bouncer.Rules.Syntax;

namespace Bouncer.Rules;

/// <summary>Entry point of the language: text or a file in, a <see cref="CompileResult"/> out. Never throws for bad input.</summary>
public static class RuleFile
{
    /// <summary>Larger files are refused unread; it is about ten times the size of a file of 10,000 rules.</summary>
    public const long MaxFileBytes = 16L * 1024 * 1024;

    /// <summary>After this many errors the rest are summed up in one line.</summary>
    public const int MaxErrors = 100;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads and compiles <paramref name="path"/>. A missing, unreadable or non-text file is one diagnostic.</summary>
    public static CompileResult Load(string path, INetworkEnvironment environment) =>
        Load(path, environment, ServiceNames.System);

    /// <summary>Compiles rule text; <paramref name="fileName"/> is what diagnostics name.</summary>
    public static CompileResult Parse(string text, string fileName, INetworkEnvironment environment) =>
        Parse(text, fileName, environment, ServiceNames.System);

    internal static CompileResult Load(string path, INetworkEnvironment environment, ServiceNames services)
    {
        var (text, problem) = ReadText(path);
        return text is null ? FileError(path, problem!) : Parse(text, path, environment, services);
    }

    internal static CompileResult Parse(string text, string fileName, INetworkEnvironment environment, ServiceNames services)
    {
        if (text.Length > MaxFileBytes)
        {
            return FileError(fileName, $"file is too large ({text.Length} characters; a rule file may have at most {MaxFileBytes / (1024 * 1024)} MiB)");
        }

        var nul = text.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            return new CompileResult(null, [new Diagnostic(Severity.Error, PositionOf(text, nul, fileName), "not a text file (it contains a NUL byte)")]);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return FileError(fileName, "file is empty; a rule file needs at least one client pass { ... } or client block { ... }");
        }

        var tokens = Lexer.Tokenize(text, fileName);
        var syntax = RuleGrammar.Parse(tokens, fileName);
        var (table, diagnostics) = RuleCompilation.Compile(syntax, fileName, tokens.Last.Position, environment, services);
        return new CompileResult(table, CapErrors(diagnostics, fileName));
    }

    private static (string? Text, string? Problem) ReadText(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                return (null, "is a directory, not a rule file");
            }

            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return (null, "no such file");
            }

            if (info.Length > MaxFileBytes)
            {
                return (null, $"file is too large ({info.Length} bytes; a rule file may have at most {MaxFileBytes / (1024 * 1024)} MiB)");
            }

            var bytes = File.ReadAllBytes(path);
            var nul = Array.IndexOf(bytes, (byte)0);
            if (nul >= 0)
            {
                return (null, $"not a text file (NUL byte at line {LineOf(bytes, nul)})");
            }

            try
            {
                var text = s_strictUtf8.GetString(bytes);
                return (text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text, null);
            }
            catch (DecoderFallbackException ex)
            {
                return (null, $"not UTF-8 text (invalid byte at line {LineOf(bytes, Math.Max(0, ex.Index))})");
            }
        }
        catch (UnauthorizedAccessException)
        {
            return (null, "cannot read the file: permission denied");
        }
        catch (IOException ex)
        {
            return (null, $"cannot read the file: {ex.Message}");
        }
    }

    private static int LineOf(byte[] bytes, int index) => bytes.AsSpan(0, Math.Min(index, bytes.Length)).Count((byte)'\n') + 1;

    private static SourcePosition PositionOf(string text, int index, string fileName)
    {
        var line = text.AsSpan(0, index).Count('\n') + 1;
        var lineStart = text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;
        return new SourcePosition(fileName, line, index - lineStart + 1);
    }

    private static CompileResult FileError(string fileName, string message) =>
        new(null, [new Diagnostic(Severity.Error, new SourcePosition(fileName, 0, 0), message)]);

    /// <summary>The first <see cref="MaxErrors"/> errors (and the warnings among them), then one line for the rest.</summary>
    private static System.Collections.Immutable.ImmutableArray<Diagnostic> CapErrors(
        System.Collections.Immutable.ImmutableArray<Diagnostic> diagnostics, string fileName)
    {
        var errors = diagnostics.Count(d => d.IsError);
        if (errors <= MaxErrors)
        {
            return diagnostics;
        }

        var kept = new List<Diagnostic>(MaxErrors + 1);
        var seen = 0;
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.IsError && ++seen > MaxErrors)
            {
                kept.Add(new Diagnostic(Severity.Error, new SourcePosition(fileName, 0, 0), $"too many errors: {errors - MaxErrors} more not shown"));
                break;
            }

            kept.Add(diagnostic);
        }

        return [.. kept];
    }
}
