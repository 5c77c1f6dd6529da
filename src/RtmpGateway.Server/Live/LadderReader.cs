using RtmpGateway.Hub;
using RtmpGateway.Media;
using RtmpGateway.Transcoding.Ladder;

namespace RtmpGateway.Server.Live;

/// <summary>
/// The ABR ladder as a hub reader of the source video, on its own worker: the first video frame of
/// each publish starts a ladder (decoder and encoders open here, never on the publisher's thread),
/// every source frame goes to it, and its rungs go back into the hub as derived tracks on the same
/// timeline (IDRs at the source's keyframes), which the packager reads like the source. It is last
/// in the stream's fan-out, so every other reader has a source frame before any rung made from it.
/// When the publish ends the ladder delivers its last frames, then closes its writer: the hub holds
/// the stream's interruption or end until then.
/// </summary>
internal sealed class LadderReader(PackagingService service, string preset) : HubReader("ladder")
{
    private volatile int _ladderPublish;
    private LadderTranscoder? _ladder;
    private DerivedWriter? _writer;

    public override int FanOutOrder => 100;

    /// <summary>
    /// Once the current publish's ladder is decided (started, or passthrough), frames are handed over
    /// on the producer's thread: <see cref="LadderTranscoder.Push"/> only copies into the ladder's own
    /// bounded queue, never blocks, and a passthrough publish costs a check. The first frame of a
    /// publish goes through the queue, so the encoders open on the pool, never on the publisher's thread.
    /// </summary>
    protected override bool RunsInline => Stream?.Publish == _ladderPublish;

    public override bool Reads(HubTrack track) => track.Rendition == HubTrack.Source;

    /// <summary>A new config mid-publish goes to the same ladder (its decoder follows in-band parameter sets).</summary>
    protected override void OnTrack(HubTrack track)
    {
    }

    protected override void OnFrame(HubFrame frame)
    {
        if (frame.Publish != _ladderPublish)
        {
            // One ladder per publish, from its first frame (a publisher back within the grace often
            // sends the same config again, which is no track change).
            Finish();
            Start(frame.Publish, frame.Unit.Config);
        }

        _ladder?.Push(frame.Unit);
    }

    private void Start(int publish, CodecConfig config)
    {
        _ladderPublish = publish;
        if (Stream is not { } stream)
        {
            return;
        }

        DerivedWriter writer = stream.OpenDerived(publish);
        LadderTranscoder? ladder = service.StartLadder(stream, preset, config, new RungSink(service, stream, writer));
        if (ladder is null)
        {
            writer.Dispose();
            return;
        }

        _ladder = ladder;
        _writer = writer;
    }

    protected override void OnPublishEnded(int publish, HubEndReason reason) => Finish();

    protected override void OnEnded() => Finish();

    /// <summary>The rungs run behind the source: they flush their last frames, then the writer closes (off this worker).</summary>
    private void Finish()
    {
        LadderTranscoder? ladder = _ladder;
        DerivedWriter? writer = _writer;
        _ladder = null;
        _writer = null;
        if (ladder is null)
        {
            writer?.Dispose();
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await ladder.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            finally
            {
                ladder.Dispose();
                writer?.Dispose();
            }
        });
    }

    /// <summary>One ladder's output into the hub; calls come from the transcoder's threads.</summary>
    private sealed class RungSink(PackagingService service, HubStream stream, DerivedWriter writer) : ILadderSink
    {
        private readonly Dictionary<string, HubTrack> _tracks = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();

        public void OnRungConfig(string rung, CodecConfig config)
        {
            var track = new HubTrack(rung, config);
            lock (_gate)
            {
                _tracks[rung] = track;
            }

            writer.SetTrack(track);
        }

        public void OnRungAccessUnit(string rung, in AccessUnit unit)
        {
            HubTrack? track;
            lock (_gate)
            {
                _tracks.TryGetValue(rung, out track);
            }

            if (track is not null)
            {
                writer.Write(track, unit, service.Time.GetUtcNow());
            }
        }

        public void OnDropped(string rung, string reason) => service.OnRungDropped(stream, rung, reason);
    }
}
