namespace Bouncer.Cli.CommandLine;

/// <summary>How log events are written (<c>--log-format</c>).</summary>
public enum LogFormat
{
    /// <summary>Barefoot's line layout, so existing greps keep working.</summary>
    Text,

    /// <summary>One JSON object per line with named fields.</summary>
    Json,
}
