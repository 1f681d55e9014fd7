using System.Diagnostics;
using System.Text;
using Bouncer.Cli.Tests.Support;
using Bouncer.Tests.Shared;
using Xunit.Abstractions;

namespace Bouncer.Cli.Tests.Reliability;

/// <summary>
/// Generated and mutated rule files through the checker (<c>bouncer -V</c>), each in a network
/// namespace of its own without a network (<c>unshare -n</c>), so no name reaches a resolver, and
/// under a one-second CPU limit (the kernel ends it otherwise): every file gets an answer (exit 0
/// with a table, or 1 with diagnostics), none crashes, hangs or takes over a second. Short: 400
/// files with the native binary, 100 with the framework build (its start-up alone costs a
/// quarter of a second); long: 100,000.
/// </summary>
[Trait("Category", BouncerStartInfo.ProcessCategory)]
[Trait("Suite", ReliabilitySize.Suite)]
[Collection(ReliabilityCollection.Name)]
public sealed class RuleFileCheckTests(ITestOutputHelper output) : IDisposable
{
    private const int Parallel = 2;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [NetworkNamespaceFact(Timeout = 7_200_000)]
    public async Task Generated_and_mutated_files_get_an_answer_quickly_and_never_crash_the_checker()
    {
        var native = !string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable(BouncerStartInfo.ExecutableVariable));
        var files = ReliabilitySize.Count("FILES", native ? 400 : 100, 100_000);
        var seed = int.TryParse(System.Environment.GetEnvironmentVariable("BOUNCER_MUTATION_SEED"), out var s) ? s : 20261206;
        var corpus = Directory.GetFiles(Path.Combine(Repository.Root, "tests", "Bouncer.Rules.Tests", "Corpus", "valid"), "*.conf")
            .Concat(Directory.GetFiles(Path.Combine(Repository.Root, "samples"), "*.conf"))
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllText)
            .ToArray();
        Assert.NotEmpty(corpus);

        var next = -1;
        var answered = new int[2];
        var slowest = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(ReliabilitySize.Deadline(280, 7_000));
        async Task WorkAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < files; i = Interlocked.Increment(ref next))
            {
                deadline.Token.ThrowIfCancellationRequested();
                var random = new Random(seed + i);
                var text = i % 2 == 0 ? RuleFileMutator.Mutate(corpus[random.Next(corpus.Length)], random) : Generate(random);
                var path = _directory.File($"case-{i % 64}.conf");
                await File.WriteAllTextAsync(path, text);
                var (status, log, took) = await CheckAsync(path);
                var label = $"seed {seed + i}, case {i} ({(i % 2 == 0 ? "mutated" : "generated")}), exit {status}:\n{log}\n--- file ---\n{text}";
                Assert.True(status is 0 or 1, label);
                Assert.DoesNotContain("Unhandled exception", log, StringComparison.Ordinal);
                Assert.DoesNotContain("\n   at ", log, StringComparison.Ordinal);
                Assert.True(status == 0 || log.Contains("error", StringComparison.Ordinal), label);
                Interlocked.Increment(ref answered[status]);
                lock (answered)
                {
                    slowest = took > slowest ? took : slowest;
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Parallel).Select(_ => Task.Run(WorkAsync)));
        output.WriteLine(
            $"{files} files in {clock.Elapsed.TotalSeconds:0.0} s: {answered[0]} valid, {answered[1]} with errors; slowest {slowest.TotalMilliseconds:0} ms wall (seed {seed}, {(native ? "native binary" : "framework build")})");
        Assert.Equal(files, answered.Sum());

        // Mutations must break files often, and generated files must pass sometimes, or this proves little.
        Assert.True(answered[1] > files / 4, $"only {answered[1]} of {files} files had errors");
    }

    /// <summary>
    /// <c>unshare -n prlimit --cpu=1 -- bouncer -V -f PATH</c>: exit status, output and wall time.
    /// Ten seconds of wall time is a hang: the process is killed and the test fails.
    /// </summary>
    private static async Task<(int Status, string Log, TimeSpan Took)> CheckAsync(string path)
    {
        var start = BouncerStartInfo.For(["-V", "-f", path]);
        var program = start.FileName;
        start.FileName = "unshare";
        string[] wrapper = ["-n", "prlimit", "--cpu=1", "--", program];
        for (var i = 0; i < wrapper.Length; i++)
        {
            start.ArgumentList.Insert(i, wrapper[i]);
        }

        var (status, output, took) = await ChildProcess.RunAsync(start, TimeSpan.FromSeconds(10));
        Assert.True(status is not null, $"bouncer -V did not finish within 10 s on {path}:\n{await File.ReadAllTextAsync(path)}");
        return (status.Value, output, took);
    }

    private static readonly string[] s_settings =
    [
        "logoutput: stderr", "logoutput: syslog", "debug: 1", "debug: 2", "timeout.connect: {n}", "timeout.io: {n}",
        "timeout.negotiate: {n}", "udp.connectdst: yes", "udp.connectdst: no", "external: {addr}", "external: {name}",
        "external.rotation: none", "external.protocol: ipv4", "internal.protocol: ipv4 ipv6", "user.unprivileged: nobody",
        "errorlog: stderr", "external.tcp.tcp_nodelay: {n}",
    ];

    private static readonly string[] s_ruleOptions =
    [
        "from: {net}", "from: {name}", "from: .{name}", "to: {addr} port = {port}", "to: {name} port = {port}",
        "bounce to: {addr} port = {port}", "bounce to: {name} port = {port}", "bounce to: {addr}", "protocol: tcp",
        "protocol: udp", "protocol: tcp udp", "log: connect disconnect error iooperation data", "session.max: {n}",
        "session.throttle: {n}/{n}", "bandwidth: {n}", "timeout.io.udp: {n}", "redirect from: {addr}",
        "clientmethod: none", "session.state.key: from", "session.state.max: {n}", "from: {net} port {op} {port}",
    ];

    private static readonly string[] s_numbers =
        ["0", "1", "2", "59", "60", "65535", "65536", "4294967", "4294968", "2147483647", "9223372036854775807", "99999999999999999999", "-1", "0x10", "010", "1e3"];

    private static readonly string[] s_addresses =
        ["127.0.0.2", "192.0.2.10", "0.0.0.0", "255.255.255.255", "::1", "2001:db8::1", "::ffff:192.0.2.1", "1.2.3", "300.1.1.1", "::", "fe80::1%lo"];

    private static readonly string[] s_names = ["lo", "eth0", "nosuch0", "localhost", "host.example", "a-b.example", "x", "-bad", "very.long.name.example"];

    /// <summary>A file built from the grammar's settings and rule options with values from the edges of their ranges.</summary>
    private static string Generate(Random random)
    {
        var text = new StringBuilder();
        for (var i = random.Next(4); i > 0; i--)
        {
            text.Append(Fill(s_settings[random.Next(s_settings.Length)], random)).Append('\n');
        }

        for (var rule = random.Next(1, 6); rule > 0; rule--)
        {
            text.Append(random.Next(5) == 0 ? "client block {\n" : "client pass {\n");
            text.Append("    from: 0/0\n");
            text.Append($"    to: 127.0.0.2 port = {1 + random.Next(65535)}\n");
            text.Append("    bounce to: 192.0.2.10 port = 80\n");
            for (var option = random.Next(5); option > 0; option--)
            {
                text.Append("    ").Append(Fill(s_ruleOptions[random.Next(s_ruleOptions.Length)], random)).Append('\n');
            }

            text.Append("}\n");
        }

        return text.ToString();
    }

    private static string Fill(string template, Random random) => template
        .Replace("{n}", s_numbers[random.Next(s_numbers.Length)], StringComparison.Ordinal)
        .Replace("{port}", random.Next(4) == 0 ? s_numbers[random.Next(s_numbers.Length)] : $"{1 + random.Next(65535)}", StringComparison.Ordinal)
        .Replace("{addr}", s_addresses[random.Next(s_addresses.Length)], StringComparison.Ordinal)
        .Replace("{net}", $"{s_addresses[random.Next(s_addresses.Length)]}/{random.Next(0, 130)}", StringComparison.Ordinal)
        .Replace("{name}", s_names[random.Next(s_names.Length)], StringComparison.Ordinal)
        .Replace("{op}", new[] { "=", "<", ">", "<=", ">=", "!=" }[random.Next(6)], StringComparison.Ordinal);
}
