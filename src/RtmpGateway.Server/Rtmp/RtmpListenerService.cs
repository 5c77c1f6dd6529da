using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;
using RtmpGateway.Server.Auth;
using RtmpGateway.Hub;
using RtmpGateway.Packaging.Live;

namespace RtmpGateway.Server.Rtmp;

/// <summary>
/// The RTMP listener, and the RTMPS one when Rtmps:Port is set, on Kestrel's socket transport (each
/// connection is a duplex pipe), apart from the HTTP endpoints so that <c>--urls</c> keeps working
/// for those. Both share the connection limits and take the same sessions; an RTMPS connection
/// does its TLS handshake first (<see cref="TlsRtmpTransport"/>).
/// </summary>
internal sealed class RtmpListenerService : BackgroundService
{
    private readonly RtmpOptions _options;
    private readonly RtmpsOptions _rtmps;
    private readonly SslServerAuthenticationOptions? _tls;
    private readonly StreamHub _hub;
    private readonly IngestSettings _ingest;
    private readonly StreamAuthorizer _authorizer;
    private readonly ILogger _logger;
    private readonly SocketTransportFactory _transport;
    private readonly ConcurrentDictionary<string, (RtmpConnection Connection, Task Task)> _connections = new();
    private readonly TaskCompletionSource<EndPoint> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<EndPoint?> _tlsBound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationToken _applicationStopping;
    private readonly ConnectionLimiter _limiter;
    private long _nextRefusalLog;
    private int _refusalsNotLogged;

    public RtmpListenerService(
        IOptions<RtmpOptions> options, IOptions<RtmpsOptions> rtmps, IOptions<PackagingOptions> packaging, StreamHub hub, StreamAuthorizer authorizer, TimeProvider time, ILoggerFactory loggerFactory, IHostApplicationLifetime lifetime)
    {
        _applicationStopping = lifetime.ApplicationStopping;
        _options = options.Value;
        _rtmps = rtmps.Value;

        // Loaded here, while the host starts: a missing or unreadable certificate stops the start
        // with its reason rather than failing each connection.
        _tls = _rtmps.Port is null ? null : _rtmps.LoadTlsOptions();
        _hub = hub;
        _ingest = new IngestSettings(packaging.Value.MaxTimestampJump, time);
        _authorizer = authorizer;
        _logger = loggerFactory.CreateLogger("RtmpGateway.Rtmp");
        // RTMP's own transport, not the HTTP server's: a publisher sends a steady stream of small
        // reads, and each handed from the socket to a pool thread and on to the reading loop costs
        // two thread wake-ups, which were most of ingest's CPU (bench/run.sh peers). The loop runs
        // inline where the socket completes instead; it never blocks (the packager is synchronous
        // and quick, the ladder's queues never block, an auth webhook is awaited). A publisher's socket
        // is rarely idle, so it reads into a buffer at once rather than first waiting for data with a
        // zero-byte read: one receive call per read instead of two (3382 -> 2214 in 10 s of a stream).
        _transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions { UnsafePreferInlineScheduling = true, WaitForDataBeforeAllocatingBuffer = false }), loggerFactory);
        _limiter = new ConnectionLimiter(_options.MaxConnections, _options.MaxConnectionsPerIp);
    }

    /// <summary>Completes with the bound endpoint (the real port when 0 was configured).</summary>
    public Task<EndPoint> BoundEndPoint => _bound.Task;

    /// <summary>Completes with the bound RTMPS endpoint, or null when RTMPS is off.</summary>
    public Task<EndPoint?> BoundTlsEndPoint => _tlsBound.Task;

    public int ConnectionCount => _connections.Count;

    /// <summary>Connections counted against Rtmp:MaxConnections (accepted and not yet fully closed).</summary>
    public int CountedConnections => _limiter.Count;

    protected override async Task ExecuteAsync(CancellationToken serviceStopping)
    {
        // Stop taking connections, and close the publishers', as soon as shutdown begins: before the
        // HTTP server drains, not after it (hosted services stop after the server).
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(serviceStopping, _applicationStopping);
        CancellationToken stoppingToken = stopping.Token;
        var listeners = new List<(IConnectionListener Listener, SslServerAuthenticationOptions? Tls)>();
        try
        {
            var endPoint = new IPEndPoint(IPAddress.Parse(_options.BindAddress), _options.Port);
            listeners.Add((await _transport.BindAsync(endPoint, stoppingToken).ConfigureAwait(false), null));
            if (_rtmps.Port is int tlsPort)
            {
                var tlsEndPoint = new IPEndPoint(IPAddress.Parse(_rtmps.BindAddress ?? _options.BindAddress), tlsPort);
                listeners.Add((await _transport.BindAsync(tlsEndPoint, stoppingToken).ConfigureAwait(false), _tls));
            }
        }
        catch (Exception ex)
        {
            _bound.TrySetException(ex);
            _tlsBound.TrySetException(ex);
            foreach ((IConnectionListener bound, _) in listeners)
            {
                await bound.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        RtmpLog.Listening(_logger, listeners[0].Listener.EndPoint.ToString() ?? "?");
        if (listeners.Count > 1)
        {
            RtmpLog.ListeningTls(_logger, listeners[1].Listener.EndPoint.ToString() ?? "?");
        }

        _bound.TrySetResult(listeners[0].Listener.EndPoint);
        _tlsBound.TrySetResult(listeners.Count > 1 ? listeners[1].Listener.EndPoint : null);
        try
        {
            await Task.WhenAll(listeners.Select(l => AcceptLoopAsync(l.Listener, l.Tls, stoppingToken))).ConfigureAwait(false);

            // Cancelling the accept completes inline, inside whoever cancelled (the host's stopping
            // callbacks): leave them first, then wind the connections down on a pool thread.
            await Task.Yield();
            foreach ((IConnectionListener listener, _) in listeners)
            {
                await listener.UnbindAsync(CancellationToken.None).ConfigureAwait(false);
            }

            foreach ((RtmpConnection connection, _) in _connections.Values)
            {
                connection.Close("server shutting down");
            }

            await Task.WhenAll(_connections.Values.Select(c => c.Task)).ConfigureAwait(false);
        }
        finally
        {
            foreach ((IConnectionListener listener, _) in listeners)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task AcceptLoopAsync(IConnectionListener listener, SslServerAuthenticationOptions? tls, CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConnectionContext? context = await listener.AcceptAsync(stoppingToken).ConfigureAwait(false);
                if (context is null)
                {
                    break;
                }

                IPAddress? address = ConnectionLimiter.AddressOf(context.RemoteEndPoint);
                if (!_limiter.TryAcquire(address, out string reason))
                {
                    await RefuseAsync(context, reason).ConfigureAwait(false);
                    continue;
                }

                var connection = new RtmpConnection(context, tls, _options, _hub, _ingest, _authorizer, _logger);
                _connections[context.ConnectionId] = (connection, RunAsync(connection, context, address));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Closes a connection over a limit before reading a byte of it. At most one log line a second,
    /// counting the refusals in between: a flood of connections must not become a flood of log lines.
    /// </summary>
    private async Task RefuseAsync(ConnectionContext context, string reason)
    {
        long now = Environment.TickCount64;
        if (now >= _nextRefusalLog)
        {
            RtmpLog.ConnectionRefused(_logger, context.RemoteEndPoint?.ToString(), reason, _refusalsNotLogged);
            _nextRefusalLog = now + 1000;
            _refusalsNotLogged = 0;
        }
        else
        {
            _refusalsNotLogged++;
        }

        context.Abort(new ConnectionAbortedException("refused: " + reason));
        await context.DisposeAsync().ConfigureAwait(false);
    }

    private async Task RunAsync(RtmpConnection connection, ConnectionContext context, IPAddress? address)
    {
        await Task.Yield();
        try
        {
            using (_logger.BeginScope(new Dictionary<string, object> { ["ConnectionId"] = context.ConnectionId }))
            {
                // At shutdown the accept loop closes every connection with its reason, on a pool
                // thread, once the host's stopping callbacks are done.
                await connection.RunAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _connections.TryRemove(context.ConnectionId, out _);
            connection.Dispose();
            try
            {
                await context.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                _limiter.Release(address);
            }
        }
    }
}

/// <summary>What every RTMP publish's ingest is set up with.</summary>
/// <param name="MaxTimestampJump">Where the publisher's clock counts as jumping (Packaging:MaxTimestampJump).</param>
internal sealed record IngestSettings(TimeSpan MaxTimestampJump, TimeProvider Time);
