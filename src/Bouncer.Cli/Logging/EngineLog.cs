using Bouncer.Engine.Events;
using Serilog.Events;
using Serilog.Parsing;

namespace Bouncer.Cli.Logging;

/// <summary>
/// Operational messages (binds, reloads, limits) into the current log pipeline. The text is kept
/// as literal text, never parsed as a message template, so braces in addresses or paths are safe.
/// </summary>
public sealed class EngineLog : IEngineLog
{
    private readonly LogPipelineHost _host;
    private readonly TimeProvider _time;

    public EngineLog(LogPipelineHost host, TimeProvider time)
    {
        _host = host;
        _time = time;
    }

    public void Info(string message) => Write(LogEventLevel.Information, message);

    public void Warning(string message) => Write(LogEventLevel.Warning, message);

    public void Error(string message) => Write(LogEventLevel.Error, message);

    public void Write(LogEventLevel level, string message, Exception? exception = null)
    {
        var template = new MessageTemplate([new TextToken(message)]);
        _host.Current.Logger.Write(new LogEvent(_time.GetLocalNow(), level, exception, template, []));
    }
}
