using System.Text;

namespace Bouncer.Rules.Tests;

/// <summary>What <see cref="RuleFile.Load"/> and <see cref="RuleFile.Parse"/> do with files that are not rule files.</summary>
public sealed class RuleFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bouncer-rules-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static string OneError(CompileResult result)
    {
        Assert.Null(result.Table);
        Assert.True(result.HasErrors);
        return Assert.Single(result.Diagnostics).ToString();
    }

    [Fact]
    public void Loads_a_valid_file()
    {
        var path = Write("ok.conf", "client pass { from: 0/0 to: 192.0.2.1 port = 80 bounce to: 10.1.1.1 }\n"u8.ToArray());
        var result = RuleFile.Load(path, FakeNetworkEnvironment.Instance);
        Assert.False(result.HasErrors);
        Assert.Equal(path, result.Table!.Source);
        Assert.Single(result.Table.Rules);
    }

    [Fact]
    public void Missing_file_is_one_line()
    {
        var path = Path.Combine(_directory, "nope.conf");
        Assert.Equal($"{path}: error: no such file", OneError(RuleFile.Load(path, FakeNetworkEnvironment.Instance)));
    }

    [Fact]
    public void Directory_is_one_line() =>
        Assert.Equal($"{_directory}: error: is a directory, not a rule file", OneError(RuleFile.Load(_directory, FakeNetworkEnvironment.Instance)));

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t\r\n")]
    public void Empty_file_is_an_error(string content)
    {
        var path = Write("empty.conf", Encoding.UTF8.GetBytes(content));
        Assert.Equal(
            $"{path}: error: file is empty; a rule file needs at least one client pass {{ ... }} or client block {{ ... }}",
            OneError(RuleFile.Load(path, FakeNetworkEnvironment.Instance)));
    }

    [Fact]
    public void File_without_a_client_rule_is_an_error_at_its_end()
    {
        var result = TestCompiler.Compile("# nothing forwarded\n", "quiet.conf");
        Assert.Null(result.Table);
        Assert.Equal(
            "quiet.conf:2:1: error: no client rules: a rule file needs at least one client pass { ... } or client block { ... } to accept clients on",
            Assert.Single(result.Diagnostics).ToString());
    }

    [Fact]
    public void A_block_rule_alone_is_a_client_rule()
    {
        var result = TestCompiler.Compile("client block { from: 0/0 to: 192.0.2.10 port = 80 }\n", "closed.conf");
        Assert.False(result.HasErrors);
        Assert.Single(result.Table!.Rules);
    }

    [Fact]
    public void Binary_file_is_one_line()
    {
        var path = Write("bin.conf", [(byte)'d', (byte)'e', (byte)'\n', 0x7F, (byte)'E', (byte)'L', (byte)'F', 0, 1, 2, 3]);
        Assert.Equal($"{path}: error: not a text file (NUL byte at line 2)", OneError(RuleFile.Load(path, FakeNetworkEnvironment.Instance)));
    }

    [Fact]
    public void Nul_in_text_is_one_line_with_its_position() =>
        Assert.Equal("t.conf:2:4: error: not a text file (it contains a NUL byte)", OneError(TestCompiler.Compile("debug: 1\nabc\0def", "t.conf")));

    [Fact]
    public void Invalid_utf8_is_one_line()
    {
        var path = Write("latin1.conf", [.. "# caf"u8, 0xE9, .. "\nclient"u8]);
        Assert.Equal($"{path}: error: not UTF-8 text (invalid byte at line 1)", OneError(RuleFile.Load(path, FakeNetworkEnvironment.Instance)));
    }

    [Fact]
    public void Byte_order_mark_is_skipped()
    {
        var path = Write("bom.conf", [0xEF, 0xBB, 0xBF, .. "client block { from: 0/0 to: 192.0.2.1 port = 80 }"u8]);
        var result = RuleFile.Load(path, FakeNetworkEnvironment.Instance);
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
    }

    [Fact]
    public void Huge_file_is_refused_unread()
    {
        var path = Path.Combine(_directory, "huge.conf");
        using (var stream = File.Create(path))
        {
            stream.SetLength(50L * 1024 * 1024);
        }

        Assert.Equal(
            $"{path}: error: file is too large ({50L * 1024 * 1024} bytes; a rule file may have at most 16 MiB)",
            OneError(RuleFile.Load(path, FakeNetworkEnvironment.Instance)));
    }

    [Fact]
    public void Huge_text_is_refused()
    {
        var text = new string('x', (int)RuleFile.MaxFileBytes + 1);
        Assert.Equal(
            $"t.conf: error: file is too large ({text.Length} characters; a rule file may have at most 16 MiB)",
            OneError(TestCompiler.Compile(text, "t.conf")));
    }

    [Fact]
    public void Runaway_errors_are_capped_with_one_summary_line()
    {
        var text = string.Concat(Enumerable.Repeat("bogus: =\n", 250));
        var result = TestCompiler.Compile(text, "t.conf");
        Assert.Null(result.Table);
        Assert.Equal(RuleFile.MaxErrors + 1, result.Diagnostics.Length);
        Assert.Equal("t.conf:1:1: error: unknown setting 'bogus'", result.Diagnostics[0].ToString());
        Assert.Equal("t.conf:1:8: error: expected a setting (keyword:) or a rule (client pass { ... }), found '='", result.Diagnostics[1].ToString());
        Assert.Equal("t.conf: error: too many errors: 400 more not shown", result.Diagnostics[^1].ToString());
    }

    [Fact]
    public void Junk_text_gives_only_diagnostics()
    {
        var random = new Random(1234);
        var junk = new char[1_000_000];
        for (var i = 0; i < junk.Length; i++)
        {
            junk[i] = (char)random.Next(1, 0x2FF);
        }

        var result = TestCompiler.Compile(new string(junk), "junk.conf");
        Assert.Null(result.Table);
        Assert.Equal(RuleFile.MaxErrors + 1, result.Diagnostics.Length);
    }

    [Fact]
    public void Diagnostics_are_in_file_order_and_all_reported()
    {
        var result = TestCompiler.Compile("""
            client pass {
                from: 10.0.0.1 to: 192.0.2.1 port = 80 bounce to: 10.1.1.1
            }
            debug: 7
            client block { from: 0/0 to: 192.0.2.1 port >= 80 }
            """, "t.conf");
        Assert.Equal(
            [
                "t.conf:2:11: error: from: 10.0.0.1 needs a netmask (add /32 for one host)",
                "t.conf:4:1: error: settings must come before the first rule (debug)",
                "t.conf:5:40: error: to: needs one port to listen on (found 'port >= 80'; write port = N)",
            ],
            result.Diagnostics.Select(d => d.ToString()));
    }

    [Fact]
    public void System_service_names_and_environment_work_through_the_public_entry_point()
    {
        var result = RuleFile.Parse("client pass { from: 0/0 to: 127.0.0.1 port = http bounce to: 127.0.0.2 }", "t.conf", FakeNetworkEnvironment.Instance);
        Assert.Equal(80, result.Table!.Rules[0].To.Endpoints[0].Port);
    }
}
