using System.Net;
using RtmpGateway.Hub;
using RtmpGateway.Media;
using RtmpGateway.Rtmp;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Messages;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.Server.Rtmp;

/// <summary>The NetConnection and NetStream commands (RTMP 1.0 §7.2) and the viewer side.</summary>
internal sealed partial class RtmpConnection
{
    private enum Role
    {
        None,
        Publisher,
        Player,
    }

    private bool _connected;
    private string _app = "";
    private uint _nextStreamId = 1;
    private readonly HashSet<uint> _createdStreams = [];
    private Role _role;
    private RtmpIngest? _publishing;
    private HubStream? _playing;
    private Viewer? _viewer;
    private uint _playStreamId;
    private int _droppedAsSlow;
    private string? _flashVer;
    private string? _tcUrl;

    /// <summary>A publish or play waiting for its authorization (a webhook); the read loop awaits it before reading on.</summary>
    private Func<CancellationToken, Task>? _pendingAuth;

    /// <summary>What the webhook was told at publish / play, for publish_done / play_done.</summary>
    private AuthRequest? _publishRequest;
    private AuthRequest? _playRequest;

    private void HandleCommand(List<object?> values, uint messageStreamId)
    {
        CommandMessage command = CommandMessage.FromValues(values);
        if (!_connected && command.Name != "connect")
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
                if (_createdStreams.Count >= 16)
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
                EndPublishing(HubEndReason.Unpublished);
                break;
            case "deleteStream":
            case "closeStream":
                EndPublishing(HubEndReason.Unpublished);
                EndPlaying();
                break;
            default:
                // pause, seek, receiveAudio, _checkbw and other optional commands: nothing to do for live.
                break;
        }
    }

    private void Reply(CommandMessage command, object? commandObject, params ReadOnlySpan<object?> args)
    {
        // §7.2: a transaction id of 0 asks for no reply.
        if (command.TransactionId != 0)
        {
            Send(new Outbound(CommandWriter.CommandChunkStreamId, RtmpMessageType.CommandAmf0, 0, 0, CommandWriter.Command("_result", command.TransactionId, commandObject, args)));
        }
    }

    private void SendStatus(uint streamId, string level, string code, string description)
        => Send(new Outbound(CommandWriter.StreamChunkStreamId, RtmpMessageType.CommandAmf0, streamId, 0, CommandWriter.OnStatus(level, code, description)));

    private void OnConnect(CommandMessage command)
    {
        if (_connected)
        {
            throw new RtmpProtocolException(RtmpErrorReason.CommandOutOfOrder, "connect on a connected NetConnection");
        }

        AmfObject properties = command.CommandObject
            ?? throw new RtmpProtocolException(RtmpErrorReason.CommandMalformed, "connect without a command object");
        _app = AppName(properties.GetString("app"));
        _flashVer = properties.GetString("flashVer");
        _tcUrl = StripQuery(properties.GetString("tcUrl") ?? "");
        double objectEncoding = properties.GetNumber("objectEncoding") ?? 0;
        _connected = true;

        // §7.2.1.1: the server answers connect with Window Acknowledgement Size, Set Peer Bandwidth,
        // (our Set Chunk Size), then the _result carrying NetConnection.Connect.Success.
        SendControl(RtmpMessageType.WindowAcknowledgementSize, ProtocolControl.WindowAcknowledgementSize((uint)_options.WindowAckSize));
        SendControl(RtmpMessageType.SetPeerBandwidth, ProtocolControl.SetPeerBandwidth((uint)_options.WindowAckSize, PeerBandwidthLimitType.Dynamic));
        SendControl(RtmpMessageType.SetChunkSize, ProtocolControl.SetChunkSize(_options.OutChunkSize));
        Send(new Outbound(CommandWriter.CommandChunkStreamId, RtmpMessageType.CommandAmf0, 0, 0, CommandWriter.ConnectResult(command.TransactionId, objectEncoding)));
        RtmpLog.Connected(_logger, Id, _app, properties.GetString("flashVer"), HandshakeScheme.ToString());
    }

    /// <summary>The app part of connect's "app" ("live", "live/", "live?query"): no query, no slashes at the ends.</summary>
    private static string AppName(string? app)
    {
        string name = StripQuery(app ?? "").Trim('/');
        return name.Length == 0 ? "live" : name;
    }

    private static string StripQuery(string value)
    {
        int q = value.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? value : value[..q];
    }

    /// <summary>Stream names become URL path segments later: letters, digits, '-', '_', '.' only.</summary>
    private static bool IsValidName(string name)
        => name.Length is > 0 and <= 128 && name != "." && name != ".."
           && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private void RequireStream(uint messageStreamId, string command)
    {
        if (!_createdStreams.Contains(messageStreamId))
        {
            throw new RtmpProtocolException(RtmpErrorReason.CommandOutOfOrder, $"'{command}' on message stream {messageStreamId}, which createStream did not create");
        }
    }

    private void OnPublish(CommandMessage command, uint messageStreamId)
    {
        RequireStream(messageStreamId, "publish");
        if (_role != Role.None)
        {
            throw new RtmpProtocolException(RtmpErrorReason.CommandOutOfOrder, "publish on a connection that already publishes or plays");
        }

        AuthRequest request = AuthRequestFor(command.StringArgument(0));
        Authorize(_authorizer.AuthorizePublishAsync(request, _closing.Token), decision => CompletePublish(request, decision, messageStreamId));
    }

    /// <summary>
    /// The requested name as the client sent it: "name?query". The name may be a stream key, and the
    /// query may carry a token: neither is logged; only the public name a decision gives is.
    /// </summary>
    private AuthRequest AuthRequestFor(string? requested)
    {
        requested ??= "";
        if (requested.Length > 1024)
        {
            throw new RtmpProtocolException(RtmpErrorReason.CommandMalformed, $"stream name of {requested.Length} characters");
        }

        int q = requested.IndexOf('?', StringComparison.Ordinal);
        var query = new List<KeyValuePair<string, string>>();
        if (q >= 0)
        {
            foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> pair in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(requested[q..]))
            {
                query.Add(new(pair.Key, pair.Value.ToString()));
            }
        }

        IPAddress? address = (_context.RemoteEndPoint as IPEndPoint)?.Address;
        return new AuthRequest(_app, q < 0 ? requested : requested[..q], query, address, Id, _flashVer, _tcUrl);
    }

    /// <summary>Applies a decision now when it is ready, else after the read loop has awaited it.</summary>
    private void Authorize(Task<AuthDecision> decision, Action<AuthDecision> complete)
    {
        if (decision.IsCompletedSuccessfully)
        {
            complete(decision.Result);
        }
        else
        {
            _pendingAuth = async token => complete(await decision.WaitAsync(token).ConfigureAwait(false));
        }
    }

    private bool IsStale(StreamPublisher publisher)
        => _options.StalePublisherTakeover > TimeSpan.Zero && publisher.SilentFor >= _options.StalePublisherTakeover;

    private void CompletePublish(AuthRequest request, AuthDecision decision, uint messageStreamId, bool takeOver = true)
    {
        if (!decision.Allowed)
        {
            RefusePublish(messageStreamId, $"{_app}/(name withheld) from {request.Address}", decision.Reason);
            return;
        }

        string name = decision.PublicName;
        if (!IsValidName(name))
        {
            RefusePublish(messageStreamId, $"{_app}/(name withheld)", "stream name must be 1-128 of A-Z a-z 0-9 - _ .");
            return;
        }

        if (!_hub.TryPublish(_app, name, Id, out StreamPublisher? publisher, out HubStream? existing, out PublishRefusal refusal))
        {
            string key = StreamHub.KeyOf(_app, name);
            if (refusal == PublishRefusal.TooManyStreams)
            {
                RefusePublish(messageStreamId, key, $"{_hub.Options.MaxStreams} streams are live, the limit (Rtmp:MaxLiveStreams)", NetStatus.PublishFailed);
            }
            else if (takeOver && existing?.Publisher is { } live && IsStale(live) && live.Evict is { } evict)
            {
                // The old publisher went silent (a dead connection the gateway has not noticed yet):
                // close it, wait for its publish to end, and publish in its place (within the grace,
                // the same stream goes on).
                RtmpLog.PublisherTakenOver(_logger, Id, key, live.PublisherId);
                evict("replaced by a new publisher of the same name");
                _pendingAuth = async token =>
                {
                    try
                    {
                        await live.Ended.WaitAsync(TimeSpan.FromSeconds(5), token).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        // Still live: the publish below is refused as a name in use.
                    }

                    CompletePublish(request, decision, messageStreamId, takeOver: false);
                };
            }
            else
            {
                RefusePublish(messageStreamId, key, "already being published");
            }

            return;
        }

        _role = Role.Publisher;
        _publishing = new RtmpIngest(publisher!, _ingestSettings.MaxTimestampJump, _ingestSettings.Time, _logger);
        _publishRequest = request;
        publisher!.Evict = Close;
        SendControl(RtmpMessageType.UserControl, ProtocolControl.UserControl(UserControlEventType.StreamBegin, messageStreamId));
        SendStatus(messageStreamId, NetStatus.LevelStatus, NetStatus.PublishStart, $"{name} is now published.");
        RtmpLog.PublishStarted(_logger, Id, publisher.Stream.Key);
    }

    private void RefusePublish(uint messageStreamId, string stream, string reason, string code = NetStatus.PublishBadName)
    {
        SendStatus(messageStreamId, NetStatus.LevelError, code, reason);
        RtmpLog.PublishRefused(_logger, Id, stream, reason);
        SetCloseReason("publish refused: " + reason);
        _closeAfterFlush = true;
    }

    private void HandleData(List<object?> values, uint timestamp)
    {
        if (_publishing is not { } ingest || values.Count == 0 || values[0] is not string handler)
        {
            return;
        }

        // FFmpeg and OBS send ["@setDataFrame", "onMetaData", {...}]; others send ["onMetaData", {...}].
        int index = handler == "@setDataFrame" ? 1 : 0;
        if (index < values.Count && values[index] is "onMetaData" && index + 1 < values.Count && values[index + 1] is AmfObject properties)
        {
            var metadata = StreamMetadata.FromProperties(properties);
            ingest.OnMetadata(metadata, CommandWriter.Data("onMetaData", properties));
        }
    }

    private void EndPublishing(HubEndReason reason = HubEndReason.ConnectionLost)
    {
        if (_publishing is not { } ingest)
        {
            return;
        }

        _publishing = null;
        StreamPublisher publisher = ingest.Publisher;
        publisher.End(reason);
        if (_publishRequest is { } request)
        {
            _publishRequest = null;
            _authorizer.NotifyDone("publish_done", request);
        }

        RtmpLog.Unpublished(_logger, Id, publisher.Stream.Key, publisher.VideoFrames, publisher.AudioFrames, publisher.BytesReceived);
    }

    private void OnPlay(CommandMessage command, uint messageStreamId)
    {
        RequireStream(messageStreamId, "play");
        if (_role != Role.None)
        {
            throw new RtmpProtocolException(RtmpErrorReason.CommandOutOfOrder, "play on a connection that already publishes or plays");
        }

        AuthRequest request = AuthRequestFor(command.StringArgument(0));
        Authorize(_authorizer.AuthorizePlayAsync(request, _closing.Token), decision => CompletePlay(request, decision, messageStreamId));
    }

    private void CompletePlay(AuthRequest request, AuthDecision decision, uint messageStreamId)
    {
        string name = request.Name;
        string display = IsValidName(name) ? StreamHub.KeyOf(_app, name) : "(invalid name)";
        if (!decision.Allowed)
        {
            SendStatus(messageStreamId, NetStatus.LevelError, NetStatus.PlayStreamNotFound, "not authorized");
            RtmpLog.PlayRefused(_logger, Id, display, decision.Reason);
            SetCloseReason("play refused: " + decision.Reason);
            _closeAfterFlush = true;
            return;
        }

        HubStream? stream = IsValidName(name) ? _hub.Find(_app, name) : null;
        if (stream is null)
        {
            SendStatus(messageStreamId, NetStatus.LevelError, NetStatus.PlayStreamNotFound, "no such live stream");
            RtmpLog.PlayRefused(_logger, Id, display, "not live");
            SetCloseReason("play refused: stream not live");
            _closeAfterFlush = true;
            return;
        }

        _role = Role.Player;
        _playStreamId = messageStreamId;
        _playRequest = request;
        SendControl(RtmpMessageType.UserControl, ProtocolControl.UserControl(UserControlEventType.StreamIsRecorded, messageStreamId));
        SendControl(RtmpMessageType.UserControl, ProtocolControl.UserControl(UserControlEventType.StreamBegin, messageStreamId));
        SendStatus(messageStreamId, NetStatus.LevelStatus, NetStatus.PlayReset, $"Playing and resetting {name}.");
        SendStatus(messageStreamId, NetStatus.LevelStatus, NetStatus.PlayStart, $"Started playing {name}.");
        Send(new Outbound(CommandWriter.StreamChunkStreamId, RtmpMessageType.DataAmf0, messageStreamId, 0, CommandWriter.Data("|RtmpSampleAccess", true, true)));
        _playing = stream;
        _viewer = new Viewer(this);
        if (!stream.AddReader(_viewer, fromLatestKeyframe: true))
        {
            OnPublisherEnded();
            return;
        }

        RtmpLog.PlayStarted(_logger, Id, stream.Key);
    }

    private void EndPlaying()
    {
        if (_viewer is { } viewer)
        {
            _viewer = null;
            viewer.Close();
        }

        _playing = null;
        if (_playRequest is { } request)
        {
            _playRequest = null;
            _authorizer.NotifyDone("play_done", request);
        }
    }

    private void OnPublisherEnded()
    {
        // FFmpeg's player ends its input on Play.UnpublishNotify / Play.Stop; then we close.
        SendControl(RtmpMessageType.UserControl, ProtocolControl.UserControl(UserControlEventType.StreamEof, _playStreamId));
        SendStatus(_playStreamId, NetStatus.LevelStatus, NetStatus.PlayUnpublishNotify, "The stream was unpublished.");
        SendStatus(_playStreamId, NetStatus.LevelStatus, NetStatus.PlayStop, "Stopped playing.");
        SetCloseReason("stream ended");
        _playing = null;
        CompleteSending();
    }
}
