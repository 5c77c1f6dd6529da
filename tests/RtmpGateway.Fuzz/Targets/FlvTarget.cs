using RtmpGateway.Media;

namespace RtmpGateway.Fuzz.Targets;

/// <summary>
/// A published stream's tags through <see cref="FlvDemuxer"/>: the input is an FLV file (what
/// ffmpeg writes with -f flv, so real captures are the seeds), its audio and video tag bodies are
/// the RTMP message payloads a publisher sends, legacy FLV and Enhanced RTMP (hvc1, av01, avc1)
/// alike. A MediaFormatException ends the stream, as in the server. The sink checks what the
/// demuxer promises: DTS never goes backwards per track (in ticks of one config; in time across a
/// config change, which may change the timescale), frames are slices of their tag, a config has a
/// usable timescale.
/// </summary>
internal sealed class FlvTarget : FuzzTarget
{
    public override string Name => "flv";

    public override string Description => "FlvFileReader + FlvDemuxer (FLV and Enhanced RTMP tags), checked sink";

    protected override FuzzOutcome RunCore(byte[] input)
    {
        List<FlvFileTag> tags;
        try
        {
            tags = FlvFileReader.ReadTags(input);
        }
        catch (MediaFormatException ex)
        {
            return FuzzOutcome.Refuse($"file: {ex.Reason}");
        }

        var demuxer = new FlvDemuxer();
        var sink = new CheckingSink();
        int demuxed = 0;
        try
        {
            foreach (FlvFileTag tag in tags)
            {
                sink.CurrentTagLength = tag.Body.Length;
                demuxer.Demux(tag.Type, tag.Timestamp, tag.Body, sink);
                demuxed++;
            }
        }
        catch (MediaFormatException ex)
        {
            return FuzzOutcome.Refuse($"tag {demuxed} of {tags.Count}: {ex.Reason}; {sink}");
        }

        return FuzzOutcome.Accept($"{tags.Count} tags; {sink}");
    }

    private sealed class CheckingSink : IMediaSink
    {
        private readonly (CodecConfig? Config, long Dts)[] _last = new (CodecConfig?, long)[2];
        private int _configs;
        private int _frames;
        private int _repairs;

        public int CurrentTagLength { get; set; }

        public void OnCodecConfig(CodecConfig config)
        {
            _configs++;
            if (config.Timescale <= 0 || config.Width < 0 || config.Height < 0 || string.IsNullOrEmpty(config.CodecString))
            {
                throw new FuzzInvariantException($"config {config}: timescale {config.Timescale}, {config.Width}x{config.Height}");
            }
        }

        public void OnAccessUnit(in AccessUnit unit)
        {
            _frames++;
            int track = unit.Kind == MediaKind.Video ? 0 : 1;
            (CodecConfig? lastConfig, long lastDts) = _last[track];
            bool back = lastConfig == unit.Config
                ? unit.Dts < lastDts
                : lastConfig is not null && Milliseconds(unit.Dts, unit.Config) < Milliseconds(lastDts, lastConfig) - 1;
            if (back)
            {
                throw new FuzzInvariantException(
                    $"{unit.Kind} DTS went back from {lastDts} ({lastConfig}) to {unit.Dts} ({unit.Config})");
            }

            _last[track] = (unit.Config, unit.Dts);
            if (unit.Payload.Length > CurrentTagLength)
            {
                throw new FuzzInvariantException($"{unit.Kind} frame of {unit.Payload.Length} bytes from a tag of {CurrentTagLength}");
            }
        }

        private static double Milliseconds(long ticks, CodecConfig config) => ticks * 1000.0 / config.Timescale;

        public void OnTimestampRepaired(MediaKind kind, long fromMs, long toMs)
        {
            _repairs++;
            if (toMs < fromMs)
            {
                throw new FuzzInvariantException($"{kind} timestamp 'repaired' backwards from {fromMs} to {toMs} ms");
            }
        }

        public override string ToString() => $"{_configs} configs, {_frames} frames, {_repairs} repairs";
    }
}
