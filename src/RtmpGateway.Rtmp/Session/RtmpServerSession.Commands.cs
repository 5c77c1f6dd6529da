using System.Buffers;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Rtmp.Session;

/// <summary>The NetConnection and NetStream commands (RTMP 1.0 §7.2) and their replies.</summary>
public sealed partial class RtmpServerSession
{
    /// <summary>How many createStream calls one connection may make.</summary>
    public const int MaxCreatedStreams = 16;

    private readonly HashSet<uint> _createdStreams = [];
    private uint _nextStreamId = 1;
    private object? _pending;

    /// <summary>connect has been answered.</summary>
    public bool IsConnected { get; private set; }

    /// <summary>The app of connect (<see cref="RtmpStreamName.AppName"/>); "" before connect.</summary>
    public string App { get; private set; } = "";

    /// <summary>connect's flashVer, as the client sent it.</summary>
    public string? FlashVer { get; private set; }

    /// <summary>connect's tcUrl without its query (it may carry a token).</summary>
    public string? TcUrl { get; private set; }

    public RtmpSessionRole Role { get; private set; }

    /// <summary>An accepted publish that FCUnpublish, deleteStream or closeStream has not ended.</summary>
    public bool IsPublishing { get; private set; }

    /// <summary>The message stream an accepted play plays on.</summary>
    public uint PlayStreamId { get; private set; }

    private void HandleCommand(List<object?> values, uint messageStreamId)
    {
        CommandMessage command = CommandMessage.FromValues(values);

        // §7.2.1.1: "The client sends the connect command to the server to request connection to a
        // server application instance." Nothing else means anything before it.
        if (!IsConnected && command.Name != "connect")
        {
            throw new RtmpProtocolException(RtmpErrorReason.CommandOutOfOrder, $"'{command.Name}' before connect");
        }

        switch (command.Name)
        {
            case "connect":
                OnConnect(command);
                break;
            case "createStream":
                uint id = _nextStreamId++;
                if (_createdStreams.Count >= MaxCreatedStreams)
                {
                    throw new RtmpProtocolException(RtmpErrorReason.CommandOutOfOrder, "more than 16 createStream calls");
                }

                _createdStreams.Add(id);
                Reply(command, null, (double)id);
                break;
            case "releaseStream":
            case "FCPublish":
                // Flash Media Server conventions that encoders (OBS, ffmpeg) send before publish.
                Reply(command, null, AmfUndefined.Value);
                break;
            case "publish":
                OnPublish(command, messageStreamId);
                break;
            case "play":
                OnPlay(command, messageStreamId);
                break;
            case "getStreamLength":
                // A live stream has no length; FFmpeg's player asks and waits for the answer.
                Reply(command, null, 0.0);
                break;
            case "FCUnpublish":
                Reply(command, null, AmfUndefined.Value);
                IsPublishing = false;
                _handler.OnUnpublish();
                break;
            case "deleteStream":
            case "closeStream":
                IsPublishing = false;
                _handler.OnCloseStream();
                break;
            default:
                // pause, seek, receiveAudio, _checkbw and other optional commands: nothing to do for live.
                break;
        }
    }

    private void OnConnect(CommandMessage command)
    {
        if (IsConnected)
        {
            throw new RtmpProtocolException(RtmpErrorReason.CommandOutOfOrder, "connect on a connected NetConnection");
        }

        AmfObject properties = command.CommandObject
            ?? throw new RtmpProtocolException(RtmpErrorReason.CommandMalformed, "connect without a command object");
        App = RtmpStreamName.AppName(properties.GetString("app"));
        FlashVer = properties.GetString("flashVer");
        TcUrl = RtmpStreamName.StripQuery(properties.GetString("tcUrl") ?? "");
        double objectEncoding = properties.GetNumber("objectEncoding") ?? 0;
        IsConnected = true;

        // §7.2.1.1: the server answers connect with Window Acknowledgement Size, Set Peer Bandwidth,
        // (our Set Chunk Size), then the _result carrying NetConnection.Connect.Success.
        WriteControl(RtmpMessageType.WindowAcknowledgementSize, ProtocolControl.WindowAcknowledgementSize(_options.WindowAckSize));
        WriteControl(RtmpMessageType.SetPeerBandwidth, ProtocolControl.SetPeerBandwidth(_options.WindowAckSize, PeerBandwidthLimitType.Dynamic));
        WriteControl(RtmpMessageType.SetChunkSize, ProtocolControl.SetChunkSize(_options.OutChunkSize));
        Write(_output, CommandWriter.CommandChunkStreamId, RtmpMessageType.CommandAmf0, 0, CommandWriter.ConnectResult(command.TransactionId, objectEncoding));
        _handler.OnConnected();
    }

    private void Reply(CommandMessage command, object? commandObject, params ReadOnlySpan<object?> args)
    {
        // §7.2: a transaction id of 0 asks for no reply.
        if (command.TransactionId != 0)
        {
            Write(_output, CommandWriter.CommandChunkStreamId, RtmpMessageType.CommandAmf0, 0, CommandWriter.Command("_result", command.TransactionId, commandObject, args));
        }
    }

    private void WriteStatus(IBufferWriter<byte> output, uint streamId, string level, string code, string description)
        => Write(output, CommandWriter.StreamChunkStreamId, RtmpMessageType.CommandAmf0, streamId, CommandWriter.OnStatus(level, code, description));

    private void WriteUserControl(IBufferWriter<byte> output, UserControlEventType type, uint streamId)
        => Write(output, ProtocolControl.ChunkStreamId, RtmpMessageType.UserControl, 0, ProtocolControl.UserControl(type, streamId));

    private string RequestedName(CommandMessage command, uint messageStreamId)
    {
        if (!_createdStreams.Contains(messageStreamId))
        {
            throw new RtmpProtocolException(RtmpErrorReason.CommandOutOfOrder, $"'{command.Name}' on message stream {messageStreamId}, which createStream did not create");
        }

        if (Role != RtmpSessionRole.None || _pending is not null)
        {
            throw new RtmpProtocolException(RtmpErrorReason.CommandOutOfOrder, $"{command.Name} on a connection that already publishes or plays");
        }

        string requested = command.StringArgument(0) ?? "";
        if (requested.Length > RtmpStreamName.MaxRequestedLength)
        {
            throw new RtmpProtocolException(RtmpErrorReason.CommandMalformed, $"stream name of {requested.Length} characters");
        }

        return requested;
    }

    private void OnPublish(CommandMessage command, uint messageStreamId)
    {
        var request = new PublishRequest(App, RequestedName(command, messageStreamId), messageStreamId);
        _pending = request;
        _handler.OnPublishRequested(request);
    }

    private void OnPlay(CommandMessage command, uint messageStreamId)
    {
        var request = new PlayRequest(App, RequestedName(command, messageStreamId), messageStreamId);
        _pending = request;
        _handler.OnPlayRequested(request);
    }

    private void Answer(object request)
    {
        if (!ReferenceEquals(_pending, request))
        {
            throw new InvalidOperationException("the request is not the one waiting for an answer");
        }

        _pending = null;
    }

    /// <summary>Publishes under <paramref name="publicName"/>: Stream Begin, then NetStream.Publish.Start.</summary>
    public void AcceptPublish(PublishRequest request, string publicName)
    {
        ArgumentNullException.ThrowIfNull(request);
        Answer(request);
        Role = RtmpSessionRole.Publisher;
        IsPublishing = true;
        WriteUserControl(_output, UserControlEventType.StreamBegin, request.MessageStreamId);
        WriteStatus(_output, request.MessageStreamId, NetStatus.LevelStatus, NetStatus.PublishStart, $"{publicName} is now published.");
    }

    /// <summary>Refuses a publish with an error onStatus (<paramref name="code"/>: BadName, Failed, ...); the host then closes.</summary>
    public void RejectPublish(PublishRequest request, string code, string description)
    {
        ArgumentNullException.ThrowIfNull(request);
        Answer(request);
        WriteStatus(_output, request.MessageStreamId, NetStatus.LevelError, code, description);
    }

    /// <summary>
    /// Plays <paramref name="name"/>: Stream Is Recorded, Stream Begin, NetStream.Play.Reset,
    /// NetStream.Play.Start and |RtmpSampleAccess, as Flash Media Server answered and players expect.
    /// </summary>
    public void AcceptPlay(PlayRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        Answer(request);
        Role = RtmpSessionRole.Player;
        uint id = request.MessageStreamId;
        PlayStreamId = id;
        WriteUserControl(_output, UserControlEventType.StreamIsRecorded, id);
        WriteUserControl(_output, UserControlEventType.StreamBegin, id);
        WriteStatus(_output, id, NetStatus.LevelStatus, NetStatus.PlayReset, $"Playing and resetting {name}.");
        WriteStatus(_output, id, NetStatus.LevelStatus, NetStatus.PlayStart, $"Started playing {name}.");
        Write(_output, CommandWriter.StreamChunkStreamId, RtmpMessageType.DataAmf0, id, CommandWriter.Data("|RtmpSampleAccess", true, true));
    }

    /// <summary>Refuses a play with an error onStatus (NetStream.Play.StreamNotFound); the host then closes.</summary>
    public void RejectPlay(PlayRequest request, string code, string description)
    {
        ArgumentNullException.ThrowIfNull(request);
        Answer(request);
        WriteStatus(_output, request.MessageStreamId, NetStatus.LevelError, code, description);
    }

    /// <summary>
    /// The played stream ended: Stream EOF, NetStream.Play.UnpublishNotify, NetStream.Play.Stop (FFmpeg's
    /// player ends its input on them). Written into <paramref name="output"/>, from any thread, once
    /// the play is accepted (the chunk size no longer changes then).
    /// </summary>
    public void WritePlayEnded(IBufferWriter<byte> output)
    {
        WriteUserControl(output, UserControlEventType.StreamEof, PlayStreamId);
        WriteStatus(output, PlayStreamId, NetStatus.LevelStatus, NetStatus.PlayUnpublishNotify, "The stream was unpublished.");
        WriteStatus(output, PlayStreamId, NetStatus.LevelStatus, NetStatus.PlayStop, "Stopped playing.");
    }
}
