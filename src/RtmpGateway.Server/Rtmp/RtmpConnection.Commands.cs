using System.Net;
using RtmpGateway.Hub;
using RtmpGateway.Media;
using RtmpGateway.Rtmp;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Session;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.Server.Rtmp;

/// <summary>
/// What the session asks the host: authorization, the hub, the stale-publisher takeover, publish and
/// play life; the command rules themselves are <see cref="RtmpServerSession"/>'s.
/// </summary>
internal sealed partial class RtmpConnection
{
    private RtmpIngest? _publishing;
    private HubStream? _playing;
    private Viewer? _viewer;
    private int _droppedAsSlow;

    /// <summary>A publish or play waiting for its authorization (a webhook); the read loop awaits it before reading on.</summary>
    private Func<CancellationToken, Task>? _pendingAuth;

    /// <summary>What the webhook was told at publish / play, for publish_done / play_done.</summary>
    private AuthRequest? _publishRequest;
    private AuthRequest? _playRequest;

    void IRtmpSessionHandler.OnConnected()
        => RtmpLog.Connected(_logger, Id, _session.App, _session.FlashVer, HandshakeScheme.ToString());

    void IRtmpSessionHandler.OnUnpublish() => EndPublishing(HubEndReason.Unpublished);

    void IRtmpSessionHandler.OnCloseStream()
    {
        EndPublishing(HubEndReason.Unpublished);
        EndPlaying();
    }

    void IRtmpSessionHandler.OnPublishRequested(PublishRequest publish)
    {
        AuthRequest request = AuthRequestFor(publish.RequestedName);
        Authorize(_authorizer.AuthorizePublishAsync(request, _closing.Token), decision => CompletePublish(publish, request, decision));
    }

    /// <summary>
    /// The requested name as the client sent it: "name?query". The name may be a stream key, and the
    /// query may carry a token: neither is logged; only the public name a decision gives is.
    /// </summary>
    private AuthRequest AuthRequestFor(string requested)
    {
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
        return new AuthRequest(_session.App, q < 0 ? requested : requested[..q], query, address, Id, _session.FlashVer, _session.TcUrl);
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

    private void CompletePublish(PublishRequest publish, AuthRequest request, AuthDecision decision, bool takeOver = true)
    {
        if (!decision.Allowed)
        {
            RefusePublish(publish, $"{_session.App}/(name withheld) from {request.Address}", decision.Reason);
            return;
        }

        string name = decision.PublicName;
        if (!RtmpStreamName.IsValid(name))
        {
            RefusePublish(publish, $"{_session.App}/(name withheld)", "stream name must be 1-128 of A-Z a-z 0-9 - _ .");
            return;
        }

        if (!_hub.TryPublish(_session.App, name, Id, out StreamPublisher? publisher, out HubStream? existing, out PublishRefusal refusal))
        {
            string key = StreamHub.KeyOf(_session.App, name);
            if (refusal == PublishRefusal.TooManyStreams)
            {
                RefusePublish(publish, key, $"{_hub.Options.MaxStreams} streams are live, the limit (Rtmp:MaxLiveStreams)", NetStatus.PublishFailed);
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

                    CompletePublish(publish, request, decision, takeOver: false);
                };
            }
            else
            {
                RefusePublish(publish, key, "already being published");
            }

            return;
        }

        _publishing = new RtmpIngest(publisher!, _ingestSettings.MaxTimestampJump, _ingestSettings.Time, _logger);
        _publishRequest = request;
        publisher!.Evict = Close;
        _session.AcceptPublish(publish, name);
        DeliverSessionReplies();
        RtmpLog.PublishStarted(_logger, Id, publisher.Stream.Key);
    }

    private void RefusePublish(PublishRequest publish, string stream, string reason, string code = NetStatus.PublishBadName)
    {
        _session.RejectPublish(publish, code, reason);
        DeliverSessionReplies();
        RtmpLog.PublishRefused(_logger, Id, stream, reason);
        SetCloseReason("publish refused: " + reason);
        _closeAfterFlush = true;
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

    void IRtmpSessionHandler.OnPlayRequested(PlayRequest play)
    {
        AuthRequest request = AuthRequestFor(play.RequestedName);
        Authorize(_authorizer.AuthorizePlayAsync(request, _closing.Token), decision => CompletePlay(play, request, decision));
    }

    private void CompletePlay(PlayRequest play, AuthRequest request, AuthDecision decision)
    {
        string name = request.Name;
        string display = RtmpStreamName.IsValid(name) ? StreamHub.KeyOf(_session.App, name) : "(invalid name)";
        if (!decision.Allowed)
        {
            _session.RejectPlay(play, NetStatus.PlayStreamNotFound, "not authorized");
            DeliverSessionReplies();
            RtmpLog.PlayRefused(_logger, Id, display, decision.Reason);
            SetCloseReason("play refused: " + decision.Reason);
            _closeAfterFlush = true;
            return;
        }

        HubStream? stream = RtmpStreamName.IsValid(name) ? _hub.Find(_session.App, name) : null;
        if (stream is null)
        {
            _session.RejectPlay(play, NetStatus.PlayStreamNotFound, "no such live stream");
            DeliverSessionReplies();
            RtmpLog.PlayRefused(_logger, Id, display, "not live");
            SetCloseReason("play refused: stream not live");
            _closeAfterFlush = true;
            return;
        }

        _playRequest = request;
        _session.AcceptPlay(play, name);

        // The replies go before the first relayed frame (the join's replay may send it inline).
        DeliverSessionReplies();
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
        // FFmpeg's player ends its input on Play.UnpublishNotify / Play.Stop; then we close. This may
        // run on the publisher's thread: the session writes straight into the pending replies.
        lock (_sendGate)
        {
            if (!_sendEnded && !_sendCompleting)
            {
                _session.WritePlayEnded(_replies);
            }
        }

        SetCloseReason("stream ended");
        _playing = null;
        CompleteSending();
    }
}
