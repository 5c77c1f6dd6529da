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
