namespace RtmpGateway.Transcoding.Ladder;

/// <summary>How the rungs' encoders share the machine.</summary>
public enum LadderParallelism
{
    /// <summary>Decode, scale and every rung's encode on one worker thread, one after another.</summary>
    Sequential,

    /// <summary>One worker decodes and scales; each rung's encoder runs on its own thread.</summary>
    ThreadPerRung,
}

/// <summary>Tuning of one <see cref="LadderTranscoder"/>. A plain bindable class; <see cref="Validate"/> before use.</summary>
public sealed class LadderTranscoderOptions
{
    /// <summary>
    /// Encoder placement. Default <see cref="LadderParallelism.ThreadPerRung"/>: on 2 cores, 1080p to 720p/480p/360p
    /// ran at 97 fps against 90 sequential (LadderTranscoderTests' benchmark prints both).
    /// </summary>
    public LadderParallelism Parallelism { get; set; } = LadderParallelism.ThreadPerRung;

    /// <summary>H.264 decoder threads. Default 2: the library default of 1 serialises the decode (FFMPEG.md).</summary>
    public int DecoderThreads { get; set; } = 2;

    /// <summary>
    /// libx264 threads per rung. Default null: 1 with <see cref="LadderParallelism.ThreadPerRung"/> (the
    /// rungs' threads already fill the cores; 1080p to 3 rungs on 2 cores ran at 97 fps with 1, 84 with 2),
    /// 2 with <see cref="LadderParallelism.Sequential"/> (there 1 halves the throughput, FFMPEG.md).
    /// </summary>
    public int? EncoderThreads { get; set; }

    internal int EffectiveEncoderThreads => EncoderThreads ?? (Parallelism == LadderParallelism.ThreadPerRung ? 1 : 2);

    /// <summary>
    /// Source video waiting for the worker, in seconds of frames at the stream's frame rate. Default 2 s:
    /// enough to ride out a slow frame or a keyframe's spike, short enough that falling behind real time
    /// shows as dropped frames within one segment instead of growing latency.
    /// </summary>
    public double MaxQueueSeconds { get; set; } = 2;

    /// <summary>Also a bound in bytes of queued source payload. Default 16 MiB: 2 s of a 64 Mbit/s source.</summary>
    public long MaxQueuedBytes { get; set; } = 16L << 20;

    /// <summary>Scaled frames waiting for each rung's encoder thread. Default 4: smooths jitter; more only adds memory.</summary>
    public int RungQueueFrames { get; set; } = 4;

    /// <summary>
    /// The encoders' own keyframe interval (x264 keyint), in seconds. Default 10: IDRs are forced at the
    /// source's keyframes, and x264 must not add its own in between; only a source whose GOP is longer
    /// than this gets an extra IDR in the rungs (and then segments of the rungs and the source differ).
    /// </summary>
    public double KeyframeIntervalSeconds { get; set; } = 10;

    /// <summary>Resizing filter. Default bicubic, as the ffmpeg CLI's scale filter.</summary>
    public ScalingAlgorithm Scaling { get; set; } = ScalingAlgorithm.Bicubic;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid property.</summary>
    public void Validate()
    {
        if (DecoderThreads < 1 || EncoderThreads is < 1)
        {
            throw new ArgumentException($"{nameof(DecoderThreads)} {DecoderThreads} / {nameof(EncoderThreads)} {EncoderThreads}: must be at least 1");
        }

        if (!(MaxQueueSeconds > 0) || MaxQueuedBytes <= 0)
        {
            throw new ArgumentException($"{nameof(MaxQueueSeconds)} {MaxQueueSeconds} / {nameof(MaxQueuedBytes)} {MaxQueuedBytes}: must be positive");
        }

        if (RungQueueFrames < 1)
        {
            throw new ArgumentException($"{nameof(RungQueueFrames)} {RungQueueFrames}: must be at least 1");
        }

        if (!(KeyframeIntervalSeconds >= 1))
        {
            throw new ArgumentException($"{nameof(KeyframeIntervalSeconds)} {KeyframeIntervalSeconds}: must be at least 1 s");
        }
    }
}
