using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace RtmpGateway.Server.Rtmp;

/// <summary>
/// The bytes of one RTMP connection: what it reads, and the two ways it sends. The send side
/// (RtmpConnection.Sending.cs) first offers bytes to <see cref="TrySend"/>, which never waits, and
/// queues what was not taken for <see cref="SendAsync"/>, one at a time. Plain RTMP sends to the socket
/// itself; RTMPS through a TLS stream, which takes nothing without waiting, so all of it is queued.
/// </summary>
internal abstract class RtmpTransport : IAsyncDisposable
{
    public abstract PipeReader Input { get; }

    /// <summary>
    /// Sends what the transport takes at once, without waiting; returns false when the connection is
    /// broken (<paramref name="error"/> says how). The caller keeps ownership of the bytes.
    /// </summary>
    public abstract bool TrySend(ReadOnlySpan<byte> bytes, out int sent, out string? error);

    /// <summary>Sends all of <paramref name="bytes"/>; they must not change until it completes.</summary>
    public abstract ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken token);

    /// <summary>Ends reading and closes the connection; the connection's pipes are completed.</summary>
    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// Plain RTMP: reads from Kestrel's socket-transport pipe, sends straight to the socket, non-blocking.
/// The transport's output pipe is not written; completing it at the end closes the socket.
/// </summary>
internal sealed class SocketRtmpTransport : RtmpTransport
{
    private readonly ConnectionContext _context;
    private readonly Socket _socket;

    public SocketRtmpTransport(ConnectionContext context)
    {
        _context = context;
        _socket = context.Features.Get<IConnectionSocketFeature>()?.Socket
            ?? throw new InvalidOperationException("an RTMP connection needs the socket transport");
        _socket.Blocking = false;
    }

    public override PipeReader Input => _context.Transport.Input;

    public override bool TrySend(ReadOnlySpan<byte> bytes, out int sent, out string? error)
    {
        SocketError result;
        try
        {
            sent = _socket.Send(bytes, SocketFlags.None, out result);
        }
        catch (ObjectDisposedException)
        {
            // The transport closed the socket (the peer reset it, or the connection is ending).
            sent = 0;
            result = SocketError.OperationAborted;
        }

        if (result is SocketError.Success or SocketError.WouldBlock)
        {
            error = null;
            return true;
        }

        sent = 0;
        error = result.ToString();
        return false;
    }

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken token)
    {
        // A stream socket's asynchronous send completes when all the bytes are sent.
        await _socket.SendAsync(bytes, SocketFlags.None, token).ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        await _context.Transport.Input.CompleteAsync().ConfigureAwait(false);
        await _context.Transport.Output.CompleteAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// RTMPS: RTMP inside TLS (the server side of <see cref="SslStream"/>) over Kestrel's socket-transport
/// pipes. Reads go through a pipe over the TLS stream; every send is an asynchronous write of the
/// TLS stream (one at a time, which is all <see cref="SslStream"/> allows), so a relayed message is
/// still chunked once for all viewers and only encrypted per viewer.
/// </summary>
internal sealed class TlsRtmpTransport : RtmpTransport
{
    private readonly ConnectionContext _context;
    private readonly SslStream _tls;
    private readonly PipeReader _input;

    private TlsRtmpTransport(ConnectionContext context, SslStream tls)
    {
        _context = context;
        _tls = tls;
        _input = PipeReader.Create(tls, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true));
    }

    /// <summary>
    /// The TLS handshake as the server; <paramref name="token"/> carries the connection's handshake
    /// deadline. Throws <see cref="System.Security.Authentication.AuthenticationException"/> or <see cref="IOException"/> when it fails.
    /// </summary>
    public static async Task<TlsRtmpTransport> AcceptAsync(ConnectionContext context, SslServerAuthenticationOptions options, CancellationToken token)
    {
        var tls = new SslStream(new DuplexPipeStream(context.Transport), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsServerAsync(options, token).ConfigureAwait(false);
            return new TlsRtmpTransport(context, tls);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override PipeReader Input => _input;

    public override bool TrySend(ReadOnlySpan<byte> bytes, out int sent, out string? error)
    {
        // A TLS write may wait for the socket: everything goes to the backlog and SendAsync.
        sent = 0;
        error = null;
        return true;
    }

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken token)
    {
        await _tls.WriteAsync(bytes, token).ConfigureAwait(false);
        await _tls.FlushAsync(token).ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync().ConfigureAwait(false);
        try
        {
            // Best effort close_notify; the peer may already be gone.
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await _tls.ShutdownAsync().WaitAsync(quick.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
        }

        await _tls.DisposeAsync().ConfigureAwait(false);
        await _context.Transport.Input.CompleteAsync().ConfigureAwait(false);
        await _context.Transport.Output.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>A connection's duplex pipe as the stream <see cref="SslStream"/> wraps.</summary>
    private sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
    {
        private readonly Stream _reading = pipe.Input.AsStream(leaveOpen: true);
        private readonly Stream _writing = pipe.Output.AsStream(leaveOpen: true);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _reading.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _reading.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _reading.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => _writing.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _writing.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _writing.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => _writing.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => _writing.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
