using Microsoft.Extensions.Logging;

namespace OutfitFinder.TestSupport;

/// <summary>Keeps every log entry, with its structured values, so tests can assert what was logged. Thread-safe.</summary>
public sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<LogEntry> _entries = [];

    /// <summary>A copy of the entries so far, oldest first.</summary>
    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        var values = state as IEnumerable<KeyValuePair<string, object?>> ?? [];
        var entry = new LogEntry(logLevel, eventId.Id, formatter(state, exception), values.ToDictionary(p => p.Key, p => p.Value));
        lock (_entries)
        {
            _entries.Add(entry);
        }
    }
}

/// <summary>One logged entry: its level, event id, formatted message and the values behind the message's placeholders.</summary>
public sealed record LogEntry(LogLevel Level, int EventId, string Message, IReadOnlyDictionary<string, object?> State);
