using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections;
using RtmpGateway.Hub;
using RtmpGateway.Media;
using RtmpGateway.Rtmp;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Handshake;
using RtmpGateway.Rtmp.Messages;
using RtmpGateway.Rtmp.Session;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.Server.Rtmp;

/// <summary>
/// One RTMP connection: handshake, then one read loop that reassembles messages and handles them
/// synchronously. Replies, and for a viewer the relayed media, are written in order by the thread
/// that sends them (see RtmpConnection.Sending.cs). The read loop or the send side ending closes the
/// connection.
/// </summary>
internal sealed partial class RtmpConnection : IDisposable, IRtmpSessionHandler
{
    private readonly ConnectionContext _context;
    private readonly SslServerAuthenticationOptions? _tls;
    private readonly RtmpOptions _options;
    private readonly StreamHub _hub;
    private readonly IngestSettings _ingestSettings;
    private readonly StreamAuthorizer _authorizer;
    private readonly ILogger _logger;
    private readonly ChunkReader _chunkReader;
    private readonly RtmpServerSession _session;

    /// <summary>What the session writes on the read loop's thread, moved to the send side after each call.</summary>
    private readonly ArrayBufferWriter<byte> _sessionReplies = new(1024);
    private readonly CancellationTokenSource _closing = new();
    private readonly Stopwatch _uptime = Stopwatch.StartNew();
    private long _bytesOut;
    private string? _closeReason;

    /// <param name="tls">For RTMPS: the TLS server settings (its certificate); null for plain RTMP.</param>
    public RtmpConnection(ConnectionContext context, SslServerAuthenticationOptions? tls, RtmpOptions options, StreamHub hub, IngestSettings ingest, StreamAuthorizer authorizer, ILogger logger)
    {
        _context = context;
        _tls = tls;
        _options = options;
        _hub = hub;
        _ingestSettings = ingest;
        _authorizer = authorizer;
        _logger = logger;
        _chunkReader = new ChunkReader(new ChunkReaderLimits { MaxMessageSize = options.MaxMessageSize, MaxChunkStreams = options.MaxChunkStreams });
        _session = new RtmpServerSession(_chunkReader, _sessionReplies, this, new RtmpServerSessionOptions
        {
            WindowAckSize = (uint)options.WindowAckSize,
            OutChunkSize = options.OutChunkSize,
            AmfLimits = new AmfLimits { MaxDepth = options.MaxAmfDepth },
        });
    }

    public string Id => _context.ConnectionId;

    /// <summary>
    /// Runs the connection to its end; never throws. It ends when the peer leaves, on an error, or
    /// through <see cref="Close"/> with its reason (also at shutdown, by the listener).
    /// </summary>
    public async Task RunAsync()
    {
        CancellationToken closing = _closing.Token;
        RtmpLog.ConnectionOpened(_logger, Id, _context.RemoteEndPoint?.ToString());
        try
        {
            if (!await HandshakeAsync(closing).ConfigureAwait(false))
            {
                return;
            }

            await ReadLoopAsync(closing).ConfigureAwait(false);
            SetCloseReason("peer closed the connection");
        }
        catch (RtmpProtocolException ex)
        {
            RtmpLog.ProtocolError(_logger, Id, ex.Reason, ex.Message);
            SetCloseReason($"protocol error {ex.Reason}: {ex.Message}");
        }
        catch (OperationCanceledException)
        {
            SetCloseReason("closed");
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException)
        {
            SetCloseReason("connection lost: " + ex.Message);
        }
#pragma warning disable CA1031 // One connection's unexpected failure must not take the server down; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RtmpLog.ConnectionFailed(_logger, ex, Id);
            SetCloseReason("internal error: " + ex.GetType().Name);
        }
        finally
        {
            EndPublishing();
            EndPlaying();
            CompleteSending();
            try
            {
                // Let the last replies (an error status, UnpublishNotify) reach the peer, briefly.
                await _sendDone.Task.WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }

            await _closing.CancelAsync().ConfigureAwait(false);

            AbortSending();
            if (_transport is { } transport)
            {
                await transport.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                await _context.Transport.Input.CompleteAsync().ConfigureAwait(false);
                await _context.Transport.Output.CompleteAsync().ConfigureAwait(false);
            }

            RtmpLog.Disconnected(_logger, Id, _closeReason ?? "peer closed the connection", _chunkReader.BytesRead, Interlocked.Read(ref _bytesOut), _uptime.Elapsed.TotalSeconds);
        }
    }

    /// <summary>Frees the chunk reader's pooled buffers; call once <see cref="RunAsync"/> has returned.</summary>
    public void Dispose()
    {
        _chunkReader.Dispose();
        _closing.Dispose();
    }

    /// <summary>
    /// Closes the connection from any thread, keeping the first reason given. The connection winds
    /// down on a pool thread, never on the caller's: a publisher dropping a slow viewer, or a publish
    /// taking over a stale one, would otherwise run that connection's teardown (reading loops run
    /// inline on the socket's thread) in the middle of its own work.
    /// </summary>
    public void Close(string reason)
    {
        SetCloseReason(reason);
        AbortSending();
        try
        {
            _ = _closing.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void SetCloseReason(string reason) => Interlocked.CompareExchange(ref _closeReason, reason, null);

    /// <summary>
    /// The TLS handshake for RTMPS, then C0..S2, all within Rtmp:HandshakeTimeout. False when the
    /// connection ended (its reason set).
    /// </summary>
    private async Task<bool> HandshakeAsync(CancellationToken token)
    {
        using CancellationTokenSource deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(_options.HandshakeTimeout);
        var handshake = new RtmpHandshake();
        bool c1Done = false;
        try
        {
            if (_tls is null)
            {
                _transport = new SocketRtmpTransport(_context);
            }
            else
            {
                try
                {
                    _transport = await TlsRtmpTransport.AcceptAsync(_context, _tls, deadline.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is AuthenticationException or IOException)
                {
                    // Not TLS (a plain RTMP client on the RTMPS port), or no common protocol or cipher.
                    var error = new RtmpProtocolException(RtmpErrorReason.TlsHandshakeFailed, "TLS handshake failed: " + ex.Message);
                    RtmpLog.ProtocolError(_logger, Id, error.Reason, error.Message);
                    SetCloseReason($"protocol error {error.Reason}: {error.Message}");
                    return false;
                }
            }

            PipeReader input = _transport.Input;
            while (true)
            {
                ReadResult result = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                bool done;
                SequencePosition consumed;
                lock (_sendGate)
                {
                    // S0+S1+S2 go out as replies do.
                    done = ProcessHandshake(handshake, buffer, _replies, ref c1Done, out consumed);
                }

                // Once C2 is read, bytes behind it (the connect command, often in the same segment)
                // are not examined yet: the read loop must see them without waiting for more.
                input.AdvanceTo(consumed, done ? consumed : buffer.End);
                FlushSends();

                if (done)
                {
                    HandshakeScheme = handshake.Scheme;
                    return true;
                }

                if (result.IsCompleted)
                {
                    SetCloseReason("peer closed during the handshake");
                    return false;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !token.IsCancellationRequested)
        {
            var ex = new RtmpProtocolException(RtmpErrorReason.HandshakeTimeout, $"handshake not completed within {_options.HandshakeTimeout.TotalSeconds:F0} s");
            RtmpLog.ProtocolError(_logger, Id, ex.Reason, ex.Message);
            SetCloseReason($"protocol error {ex.Reason}: {ex.Message}");
            return false;
        }
    }

    private HandshakeScheme HandshakeScheme { get; set; }

    private static bool ProcessHandshake(RtmpHandshake handshake, ReadOnlySequence<byte> buffer, IBufferWriter<byte> output, ref bool c1Done, out SequencePosition consumed)
    {
        var reader = new SequenceReader<byte>(buffer);
        try
        {
            if (!c1Done)
            {
                c1Done = handshake.TryReadC0C1(ref reader, output);
                if (!c1Done)
                {
                    return false;
                }
            }

            return RtmpHandshake.TryReadC2(ref reader);
        }
        finally
        {
            consumed = reader.Position;
        }
    }

    private async Task ReadLoopAsync(CancellationToken token)
    {
        PipeReader input = _transport!.Input;
        using CancellationTokenSource idle = CancellationTokenSource.CreateLinkedTokenSource(token);
        while (true)
        {
            // A viewer legitimately sends nothing for long stretches; everyone else is idle-limited.
            idle.CancelAfter(_session.Role == RtmpSessionRole.Player ? Timeout.InfiniteTimeSpan : _options.IdleTimeout);
            ReadResult result;
            try
            {
                result = await input.ReadAsync(idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (idle.IsCancellationRequested && !token.IsCancellationRequested)
            {
                throw new RtmpProtocolException(RtmpErrorReason.IdleTimeout, $"nothing received for {_options.IdleTimeout.TotalSeconds:F0} s");
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = buffer.Start;
            try
            {
                consumed = ProcessMessages(buffer);
            }
            finally
            {
                // While a publish or play waits for its authorization, the bytes behind it stay
                // unread (and unexamined, so the next read returns them at once).
                input.AdvanceTo(consumed, _pendingAuth is null ? buffer.End : consumed);
            }

            // The replies to this batch go out together, in one send.
            FlushSends();
            if (_pendingAuth is { } pending)
            {
                _pendingAuth = null;
                await pending(token).ConfigureAwait(false);
                FlushSends();
            }

            if (_closeAfterFlush)
            {
                CompleteSending();
                return;
            }

            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private SequencePosition ProcessMessages(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        try
        {
            while (!_closeAfterFlush && _pendingAuth is null && _chunkReader.TryReadMessage(ref reader, out RtmpMessage message))
            {
                // Every protocol decision is the session's; it calls back here (IRtmpSessionHandler).
                _session.Handle(message);
                DeliverSessionReplies();
            }
        }
        finally
        {
            // A message that fails after writing some replies: they still go out, as before the error.
            DeliverSessionReplies();

            // Set before an exception propagates too, so AdvanceTo never goes backwards.
            _lastPosition = reader.Position;
        }

        return _lastPosition;
    }

    private SequencePosition _lastPosition;

    /// <summary>
    /// Moves what the session wrote (read-loop thread only) behind the pending replies; a viewer's
    /// relay may be sending those from the publisher's thread, hence the gate.
    /// </summary>
    private void DeliverSessionReplies()
    {
        if (_sessionReplies.WrittenCount == 0)
        {
            return;
        }

        lock (_sendGate)
        {
            if (!_sendEnded && !_sendCompleting)
            {
                _replies.Write(_sessionReplies.WrittenSpan);
            }
        }

        _sessionReplies.ResetWrittenCount();
    }

    void IRtmpSessionHandler.OnMedia(in RtmpMessage message)
    {
        if (_publishing is { } ingest)
        {
            // The reassembly buffer becomes the frame's: shared by every output, never copied again.
            Ingest(ingest, message.Type, message.Timestamp, MediaBuffer.Own(_chunkReader.DetachPayload(message), message.Payload.Length));
        }
    }

    void IRtmpSessionHandler.OnMediaPart(in AggregatePart part)
    {
        if (_publishing is { } ingest)
        {
            // Rare (FMS-era encoders): each part gets a copy of its own.
            Ingest(ingest, part.Type, part.Timestamp, MediaBuffer.CopyOf(part.Payload.Span));
        }
    }

    void IRtmpSessionHandler.OnMetadata(AmfObject properties, uint timestamp)
    {
        if (_publishing is { } ingest)
        {
            var metadata = StreamMetadata.FromProperties(properties);
            ingest.OnMetadata(metadata, CommandWriter.Data("onMetaData", properties));
        }
    }

    private void Ingest(RtmpIngest ingest, RtmpMessageType type, uint timestamp, MediaBuffer payload)
    {
        try
        {
            ingest.OnMediaMessage(type, timestamp, payload);
        }
        catch (MediaFormatException ex)
        {
            RtmpLog.MediaError(_logger, Id, ingest.Publisher.Stream.Key, ex.Reason, ex.Message);
            SetCloseReason($"media error {ex.Reason}: {ex.Message}");
            _closeAfterFlush = true;
        }
    }

    private bool _closeAfterFlush;
}
