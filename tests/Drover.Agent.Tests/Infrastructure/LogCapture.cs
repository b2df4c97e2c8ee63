using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Tests.Infrastructure;

/// <summary>Collects log lines with their structured fields, for assertions on what the agent logged.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<Line> _lines = new();

    public sealed record Line(int EventId, string Text, IReadOnlyDictionary<string, object?> Fields);

    public IReadOnlyList<Line> Lines => [.. _lines];

    public IReadOnlyList<Line> Events(int eventId) => [.. _lines.Where(l => l.EventId == eventId)];

    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Debug));

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IReadOnlyList<KeyValuePair<string, object?>> kv ? kv.ToDictionary(p => p.Key, p => p.Value) : [];
            owner._lines.Enqueue(new Line(eventId.Id, formatter(state, exception), fields));
        }
    }
}
