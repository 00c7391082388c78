using Microsoft.Extensions.Logging;

namespace OutfitFinder.Core.Tests.Storage;

/// <summary>Keeps every log entry so tests can assert what was logged.</summary>
internal sealed class RecordingLogger : ILogger
{
    public List<(LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> State)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        var values = state as IEnumerable<KeyValuePair<string, object?>> ?? [];
        lock (Entries)
        {
            Entries.Add((logLevel, eventId, formatter(state, exception), values.ToDictionary(p => p.Key, p => p.Value)));
        }
    }
}
