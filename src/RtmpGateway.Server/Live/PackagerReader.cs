using RtmpGateway.Hub;
using RtmpGateway.Packaging.Live;

namespace RtmpGateway.Server.Live;

/// <summary>
/// The packager as a hub reader: every track of the stream (source, audio, rungs) into CMAF
/// segments and parts, on its own worker. Follows the stream's life: a publisher back within the
/// grace continues the playlists after a discontinuity (the hub has mapped its timestamps already);
/// an interruption flushes the last segments with the playlists kept live; the end writes ENDLIST.
/// </summary>
internal sealed class PackagerReader(StreamPackager packager, TimeProvider time) : HubReader("packager")
{
    private int _publish;

    /// <summary>
    /// Packaging a frame is synchronous and short (append a sample, now and then write a part and a
    /// playlist snapshot) and never waits, so while nothing is queued it runs on the producer's
    /// thread: a thread hand-off per frame cost more than the packaging (bench/run.sh peers, scenario
    /// 1: 1.02 against 0.68 CPU s per stream-minute for one stream, 0.47 against 0.36 for eight). A
    /// backlog (a burst, a slow moment) still goes through the queue and the pool, in order.
    /// </summary>
    protected override bool RunsInline => true;

    public StreamPackager Packager => packager;

    protected override void OnPublished(int publish)
    {
        if (_publish > 0 && publish > _publish)
        {
            packager.Resume(time.GetUtcNow());
        }

        _publish = publish;
    }

    protected override void OnTrack(HubTrack track)
    {
        if (track.IsIngest)
        {
            packager.OnCodecConfig(track.Config);
        }
        else
        {
            packager.OnRungConfig(packager.Publish, track.Rendition, track.Config);
        }
    }

    protected override void OnFrame(HubFrame frame)
    {
        if (frame.Track.IsIngest)
        {
            packager.OnAccessUnit(frame.Unit, frame.ReceivedAt);
        }
        else
        {
            packager.OnRungAccessUnit(packager.Publish, frame.Rendition, frame.Unit, frame.ReceivedAt);
        }
    }

    protected override void OnInterrupted() => packager.Suspend(time.GetUtcNow());

    protected override void OnEnded() => packager.End(time.GetUtcNow());
}
