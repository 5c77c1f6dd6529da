using Microsoft.Extensions.Options;

namespace RtmpGateway.Server.Live;

/// <summary>
/// Counts the HTTP requests held waiting for media (blocking playlist reloads, preload-hinted parts)
/// against <see cref="HttpOptions.MaxParkedRequests"/>.
/// </summary>
internal sealed partial class ParkedRequests
{
    private readonly int _max;
    private readonly ILogger _logger;
    private int _count;
    private long _nextLog;
    private int _notLogged;

    public ParkedRequests(IOptions<HttpOptions> options, ILogger<ParkedRequests> logger)
    {
        _max = options.Value.MaxParkedRequests;
        _logger = logger;
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Takes a slot; false (logged at most once a second) when every slot is taken.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _count) <= _max)
        {
            return true;
        }

        Interlocked.Decrement(ref _count);
        long now = Environment.TickCount64;
        long next = Interlocked.Read(ref _nextLog);
        if (now >= next && Interlocked.CompareExchange(ref _nextLog, now + 1000, next) == next)
        {
            LogFull(_logger, _max, Interlocked.Exchange(ref _notLogged, 0));
        }
        else
        {
            Interlocked.Increment(ref _notLogged);
        }

        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _count);

    [LoggerMessage(2100, LogLevel.Warning, "HTTP request refused with 503: {Max} requests are held waiting for media, the limit (Http:MaxParkedRequests) (+{NotLogged} refused since the last such line)")]
    private static partial void LogFull(ILogger logger, int max, int notLogged);
}
