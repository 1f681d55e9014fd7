namespace Bouncer.Engine.Diagnostics;

/// <summary>
/// The one log line for running out of descriptors or socket buffers (design §9: a state, not a
/// failure). Accept loops, outgoing TCP sockets and UDP flows all report under one key, so a host
/// at its limit writes one line per interval of the <see cref="RateLimitedLog"/> for the whole
/// process (the next one says how many were left out), never a line or a stack trace per client.
/// </summary>
internal static class ResourceShortageNotice
{
    private const string Key = "local-resource-limit";

    /// <param name="doing">What failed, as in "accepting on tcp 127.0.0.2:80".</param>
    /// <param name="detail">The system's words, as in "Too many open files".</param>
    public static void Report(RateLimitedLog warnings, string doing, string detail) =>
        warnings.Warning(Key, $"local resource limit while {doing}: {detail}; service resumes by itself once sessions end and free descriptors");
}
