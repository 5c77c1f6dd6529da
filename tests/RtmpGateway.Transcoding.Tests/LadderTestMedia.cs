using System.Buffers.Binary;
using System.Collections.Concurrent;
using RtmpGateway.Media;
using RtmpGateway.Transcoding.Ladder;

namespace RtmpGateway.Transcoding.Tests;

/// <summary>An FLV file's tags, read just enough (FLV spec E.3/E.4.1) to feed <see cref="FlvDemuxer"/>, and demuxed.</summary>
internal sealed class LadderSourceClip : IMediaSink
{
    private LadderSourceClip(string path)
    {
        Path = path;
        var demuxer = new FlvDemuxer();
        foreach (FlvFileTag tag in FlvFileReader.ReadTags(File.ReadAllBytes(path)))
        {
            demuxer.Demux(tag.Type, tag.Timestamp, tag.Body, this);
        }

        Config = demuxer.Video ?? throw new InvalidDataException($"{path}: no video sequence header");
    }

    public string Path { get; }

    public CodecConfig Config { get; }

    public List<AccessUnit> Units { get; } = [];

    public static LadderSourceClip Make(string dir, string name, int width, int height, int fps, double seconds, int gop, params string[] extra)
    {
        // libx264's defaults keep B-frames on (veryfast: 3), so source DTS != PTS.
        TestMedia.MakeClip(dir, name, width, height, fps, seconds, gop, extra);
        return new LadderSourceClip(System.IO.Path.Combine(dir, name));
    }

    public void OnCodecConfig(CodecConfig config)
    {
    }

    public void OnAccessUnit(in AccessUnit unit)
    {
        if (unit.Kind == MediaKind.Video)
        {
            Units.Add(unit);
        }
    }

    public void OnTimestampRepaired(MediaKind kind, long fromMs, long toMs) =>
        throw new InvalidDataException($"the clip's {kind} timestamps needed repair: {fromMs} -> {toMs}");
}

/// <summary>Collects a transcoder's output per rung, in delivery order; optionally blocks the worker until released.</summary>
internal sealed class RecordingLadderSink : ILadderSink
{
    private readonly ManualResetEventSlim? _gate;

    public RecordingLadderSink(bool blocked = false)
    {
        _gate = blocked ? new ManualResetEventSlim(false) : null;
    }

    public ConcurrentDictionary<string, CodecConfig> Configs { get; } = new();

    public ConcurrentDictionary<string, List<AccessUnit>> Units { get; } = new();

    public ConcurrentQueue<(string Rung, string Reason)> Dropped { get; } = new();

    /// <summary>Per rung: "config", "unit" or "dropped", in call order.</summary>
    public ConcurrentDictionary<string, List<string>> Events { get; } = new();

    public void Release() => _gate?.Set();

    public void OnRungConfig(string rung, CodecConfig config)
    {
        Assert.True(Configs.TryAdd(rung, config), $"{rung}: config reported twice");
        Events.GetOrAdd(rung, _ => []).Add("config");
    }

    public void OnRungAccessUnit(string rung, in AccessUnit unit)
    {
        _gate?.Wait();
        Units.GetOrAdd(rung, _ => []).Add(unit);
        Events.GetOrAdd(rung, _ => []).Add("unit");
    }

    public void OnDropped(string rung, string reason)
    {
        Dropped.Enqueue((rung, reason));
        Events.GetOrAdd(rung, _ => []).Add("dropped");
    }
}
