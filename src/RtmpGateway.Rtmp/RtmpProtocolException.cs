namespace RtmpGateway.Rtmp;

/// <summary>Why the RTMP layer refused a connection's input. Each value ends the connection.</summary>
public enum RtmpErrorReason
{
    HandshakeVersion,
    HandshakeTimeout,
    HandshakeMismatch,
    ChunkSizeInvalid,
    ChunkStreamNotOpened,
    ChunkStreamIdInvalid,
    MessageTooLarge,
    MessageLengthMismatch,
    AmfMalformed,
    AmfDepthExceeded,
    AmfLengthExceedsMessage,
    CommandMalformed,
    CommandOutOfOrder,
    WindowSizeInvalid,
    IdleTimeout,
    TooManyChunkStreams,
    AmfReferencesExceeded,

    /// <summary>RTMPS only: the TLS handshake failed (not TLS, or nothing in common).</summary>
    TlsHandshakeFailed,
}

/// <summary>
/// Malformed or hostile RTMP input. Thrown by parsers of this layer; the connection that sent it is
/// closed and every other session continues.
/// </summary>
public sealed class RtmpProtocolException : Exception
{
    public RtmpProtocolException(RtmpErrorReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public RtmpProtocolException()
    {
    }

    public RtmpProtocolException(string message)
        : base(message)
    {
    }

    public RtmpProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RtmpErrorReason Reason { get; }
}
