using System.Buffers;

namespace RtmpGateway.Server.Rtmp;

/// <summary>
/// The send side. Bytes go to the transport (<see cref="RtmpTransport"/>: the socket itself for RTMP,
/// a TLS stream for RTMPS) without waiting, from whichever thread sends them:
/// the connection's own read loop for the handshake and its replies, and for a viewer the
/// publisher's thread for relayed media. A relayed message is chunked once for all viewers
/// (RtmpConnection.Viewer.cs), so relaying it to a plain RTMP viewer is one non-blocking send call:
/// no copy, no thread hand-off, no pipe. This is the RTMP fan-out's hot path (bench scenario 5).
/// What the transport does not take at once (for TLS: everything) waits in a backlog, in order, and
/// one asynchronous send at a time drains it as the peer reads; the backlog is what the slow-viewer
/// limit measures.
/// </summary>
internal sealed partial class RtmpConnection
{
    private readonly Lock _sendGate = new();
    private readonly Queue<ReadOnlyMemory<byte>> _backlog = new();
    private readonly ArrayBufferWriter<byte> _replies = new(4096);
    private readonly TaskCompletionSource _sendDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set once the connection's transport is up (after the TLS handshake for RTMPS); nothing is sent before.</summary>
    private RtmpTransport? _transport;

    /// <summary>An asynchronous send is draining the backlog: nothing else may send.</summary>
    private bool _draining;

    /// <summary>No new messages: what is queued is sent, then the send side ends.</summary>
    private bool _sendCompleting;

    /// <summary>The send side is over; nothing more is sent.</summary>
    private bool _sendEnded;

    /// <summary>Bytes waiting in the backlog (read without the gate by the slow-viewer check).</summary>
    private long _queuedBytes;

    /// <summary>Sends bytes that stay as they are (a relayed message's shared chunks), after any pending replies.</summary>
    private void SendShared(ReadOnlyMemory<byte> chunks)
    {
        bool ended;
        lock (_sendGate)
        {
            if (_sendEnded || _sendCompleting)
            {
                return;
            }

            ended = SendRepliesUnderGate() || SendUnderGate(chunks);
        }

        if (ended)
        {
            OnSendEnded();
        }
    }

    /// <summary>Sends the pending replies. Never waits: what the socket does not take goes to the backlog.</summary>
    private void FlushSends()
    {
        bool ended;
        lock (_sendGate)
        {
            if (_sendEnded)
            {
                return;
            }

            ended = SendRepliesUnderGate();
        }

        if (ended)
        {
            OnSendEnded();
        }
    }

    /// <summary>No more messages: what is pending goes out, then the send side ends (and with it the connection).</summary>
    private void CompleteSending()
    {
        bool ended;
        lock (_sendGate)
        {
            if (_sendEnded || _sendCompleting)
            {
                return;
            }

            ended = SendRepliesUnderGate();
            _sendCompleting = true;
            if (!ended && !_draining)
            {
                ended = EndSendUnderGate();
            }
        }

        if (ended)
        {
            OnSendEnded();
        }
    }

    /// <summary>Stops sending at once: the backlog is dropped and nothing more is sent.</summary>
    private void AbortSending()
    {
        lock (_sendGate)
        {
            EndSendUnderGate();
        }
    }

    /// <summary>With the gate held. Returns whether the send side ended (the connection broke).</summary>
    private bool SendRepliesUnderGate()
    {
        if (_replies.WrittenCount == 0)
        {
            return false;
        }

        ReadOnlySpan<byte> bytes = _replies.WrittenSpan;
        if (!TrySendNow(bytes, out int sent))
        {
            return EndSendUnderGate();
        }

        if (sent < bytes.Length)
        {
            // The buffer is reused: what waits is a copy.
            Queue(bytes[sent..].ToArray());
        }

        _replies.ResetWrittenCount();
        return false;
    }

    /// <summary>With the gate held; <paramref name="bytes"/> must not change. Returns whether the send side ended.</summary>
    private bool SendUnderGate(ReadOnlyMemory<byte> bytes)
    {
        if (!TrySendNow(bytes.Span, out int sent))
        {
            return EndSendUnderGate();
        }

        if (sent < bytes.Length)
        {
            Queue(bytes[sent..]);
        }

        return false;
    }

    /// <summary>
    /// One non-blocking send, or none while the backlog drains (the bytes go behind it). False if the
    /// connection is broken.
    /// </summary>
    private bool TrySendNow(ReadOnlySpan<byte> bytes, out int sent)
    {
        sent = 0;
        if (_draining)
        {
            return true;
        }

        string? error = "no transport";
        if (_transport is not { } transport || !transport.TrySend(bytes, out sent, out error))
        {
            sent = 0;
            SetCloseReason("connection lost: " + error);
            return false;
        }

        Interlocked.Add(ref _bytesOut, sent);
        return true;
    }

    private void Queue(ReadOnlyMemory<byte> bytes)
    {
        _backlog.Enqueue(bytes);
        Interlocked.Add(ref _queuedBytes, bytes.Length);
        if (!_draining)
        {
            _draining = true;
            _ = DrainAsync();
        }
    }

    /// <summary>Sends the backlog as the peer reads it, one piece at a time, until it is empty.</summary>
    private async Task DrainAsync()
    {
        // Started with the gate held: leave the caller (a publisher's relay) before sending.
        await Task.Yield();
        bool ended = false;
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> next;
                lock (_sendGate)
                {
                    if (_sendEnded)
                    {
                        return;
                    }

                    if (!_backlog.TryPeek(out next))
                    {
                        _draining = false;
                        ended = _sendCompleting && EndSendUnderGate();
                        return;
                    }
                }

                await _transport!.SendAsync(next, _closing.Token).ConfigureAwait(false);
                Interlocked.Add(ref _bytesOut, next.Length);
                lock (_sendGate)
                {
                    if (_sendEnded)
                    {
                        return;
                    }

                    _backlog.Dequeue();
                    Interlocked.Add(ref _queuedBytes, -next.Length);
                }
            }
        }
#pragma warning disable CA1031 // A failed send (a reset, or cancelled by a close) ends this connection only.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            SetCloseReason(ex is OperationCanceledException ? "closed" : "connection lost: " + ex.Message);
            lock (_sendGate)
            {
                ended = EndSendUnderGate();
            }
        }
        finally
        {
            if (ended)
            {
                OnSendEnded();
            }
        }
    }

    /// <summary>With the gate held: the send side is over. Returns true the first time.</summary>
    private bool EndSendUnderGate()
    {
        if (_sendEnded)
        {
            return false;
        }

        _sendEnded = true;
        _backlog.Clear();
        _replies.ResetWrittenCount();
        Interlocked.Exchange(ref _queuedBytes, 0);
        _sendDone.TrySetResult();
        return true;
    }

    /// <summary>Whatever ends the send side ends the connection (outside the gate: closing cancels asynchronously).</summary>
    private void OnSendEnded() => Close(_closeReason ?? "send side ended");
}
