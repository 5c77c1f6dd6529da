using System.Buffers;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Rtmp.Session;

/// <summary>
/// The server side of one RTMP connection after the handshake (RTMP 1.0 §5.4, §7.1, §7.2): it takes
/// the messages a <see cref="ChunkReader"/> reassembles, applies protocol control to that reader,
/// writes every reply as chunks into <c>output</c>, and reports what the host decides (publish and
/// play requests) or consumes (media, metadata) to an <see cref="IRtmpSessionHandler"/>. No sockets,
/// no clock, no logging: a malformed or out-of-order message throws <see cref="RtmpProtocolException"/>,
/// which ends the connection.
/// </summary>
/// <remarks>
/// Not thread-safe: <see cref="Handle"/> and the Accept/Reject answers come from one thread at a time.
/// <see cref="WritePlayEnded"/> may be called from another thread into another output.
/// </remarks>
public sealed partial class RtmpServerSession
{
    private readonly ChunkReader _chunkReader;
    private readonly IBufferWriter<byte> _output;
    private readonly IRtmpSessionHandler _handler;
    private readonly RtmpServerSessionOptions _options;
    private readonly ChunkWriter _chunkWriter = new();
    private long _peerWindow;
    private long _lastAck;

    public RtmpServerSession(ChunkReader chunkReader, IBufferWriter<byte> output, IRtmpSessionHandler handler, RtmpServerSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(chunkReader);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        _chunkReader = chunkReader;
        _output = output;
        _handler = handler;
        _options = options;
    }

    /// <summary>Our outbound chunk size (128 until connect has been answered).</summary>
    public int OutChunkSize => _chunkWriter.ChunkSize;

    /// <summary>Handles one message, then acknowledges the bytes read if the peer's window is full.</summary>
    public void Handle(in RtmpMessage message)
    {
        HandleMessage(message);
        AcknowledgeIfDue();
    }

    private void AcknowledgeIfDue()
    {
        // §5.4.3: "The client or the server MUST send an acknowledgment to the peer after receiving
        // bytes equal to the window size."
        if (_peerWindow > 0 && _chunkReader.BytesRead - _lastAck >= _peerWindow)
        {
            _lastAck = _chunkReader.BytesRead;
            WriteControl(RtmpMessageType.Acknowledgement, ProtocolControl.Acknowledgement(unchecked((uint)_chunkReader.BytesRead)));
        }
    }

    private void HandleMessage(in RtmpMessage message)
    {
        switch (message.Type)
        {
            case RtmpMessageType.SetChunkSize:
                _chunkReader.SetChunkSize(ProtocolControl.ReadUInt32(message.Payload.Span, message.Type));
                break;
            case RtmpMessageType.Abort:
                _chunkReader.Abort((int)ProtocolControl.ReadUInt32(message.Payload.Span, message.Type));
                break;
            case RtmpMessageType.Acknowledgement:
                ProtocolControl.ReadUInt32(message.Payload.Span, message.Type);
                break;
            case RtmpMessageType.WindowAcknowledgementSize:
                uint window = ProtocolControl.ReadUInt32(message.Payload.Span, message.Type);
                if (window == 0 || window > int.MaxValue)
                {
                    throw new RtmpProtocolException(RtmpErrorReason.WindowSizeInvalid, $"Window Acknowledgement Size {window}");
                }

                _peerWindow = window;
                break;
            case RtmpMessageType.SetPeerBandwidth:
                // §5.4.5: "The message payload consists of 4 bytes of window size and 1 byte of limit type."
                if (message.Payload.Length < 5)
                {
                    throw new RtmpProtocolException(RtmpErrorReason.MessageLengthMismatch, "Set Peer Bandwidth shorter than 5 bytes");
                }

                break;
            case RtmpMessageType.UserControl:
                HandleUserControl(ProtocolControl.ReadUserControl(message.Payload.Span));
                break;
            case RtmpMessageType.Audio:
            case RtmpMessageType.Video:
                if (IsPublishing)
                {
                    _handler.OnMedia(message);
                }

                break;
            case RtmpMessageType.DataAmf0:
                HandleData(Amf0.ReadAll(message.Payload.Span, _options.AmfLimits), message.Timestamp);
                break;
            case RtmpMessageType.DataAmf3:
                HandleData(Amf0.ReadAmf3Command(message.Payload.Span, _options.AmfLimits), message.Timestamp);
                break;
            case RtmpMessageType.CommandAmf0:
                HandleCommand(Amf0.ReadAll(message.Payload.Span, _options.AmfLimits), message.StreamId);
                break;
            case RtmpMessageType.CommandAmf3:
                HandleCommand(Amf0.ReadAmf3Command(message.Payload.Span, _options.AmfLimits), message.StreamId);
                break;
            case RtmpMessageType.Aggregate:
                foreach (AggregatePart part in AggregateMessage.Split(message.Payload, message.Timestamp))
                {
                    if (part.Type is RtmpMessageType.Audio or RtmpMessageType.Video && IsPublishing)
                    {
                        _handler.OnMediaPart(part);
                    }
                    else if (part.Type == RtmpMessageType.DataAmf0)
                    {
                        HandleData(Amf0.ReadAll(part.Payload.Span, _options.AmfLimits), part.Timestamp);
                    }
                }

                break;
            default:
                // Shared objects and unknown types are not used by encoders or players; skip them.
                break;
        }
    }

    private void HandleUserControl(UserControlEvent ev)
    {
        // §7.1.7: "The client sends [PingResponse] to the server to reply to the ping request. The
        // event data is a 4-byte timestamp, which was received with the PingRequest request."
        if (ev.Type == UserControlEventType.PingRequest)
        {
            WriteControl(RtmpMessageType.UserControl, ProtocolControl.UserControl(UserControlEventType.PingResponse, ev.Value));
        }
    }

    private void HandleData(List<object?> values, uint timestamp)
    {
        if (!IsPublishing || values.Count == 0 || values[0] is not string handler)
        {
            return;
        }

        // FFmpeg and OBS send ["@setDataFrame", "onMetaData", {...}]; others send ["onMetaData", {...}].
        int index = handler == "@setDataFrame" ? 1 : 0;
        if (index < values.Count && values[index] is "onMetaData" && index + 1 < values.Count && values[index + 1] is AmfObject properties)
        {
            _handler.OnMetadata(properties, timestamp);
        }
    }

    /// <summary>A protocol control message: chunk stream 2, message stream 0 (§5.4).</summary>
    private void WriteControl(RtmpMessageType type, byte[] payload) => Write(_output, ProtocolControl.ChunkStreamId, type, 0, payload);

    private void Write(IBufferWriter<byte> output, int chunkStreamId, RtmpMessageType type, uint streamId, byte[] payload)
    {
        _chunkWriter.Write(output, chunkStreamId, type, streamId, 0, payload);
        if (type == RtmpMessageType.SetChunkSize)
        {
            // §5.4.1: our chunk size changes right after the peer has been told.
            _chunkWriter.ChunkSize = (int)ProtocolControl.ReadUInt32(payload, type);
        }
    }
}
