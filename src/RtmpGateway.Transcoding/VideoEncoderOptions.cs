using System.Globalization;

namespace RtmpGateway.Transcoding;

/// <summary>One rung's libx264 settings. A plain bindable class; <see cref="Validate"/> before use.</summary>
public sealed class VideoEncoderOptions
{
    /// <summary>Output width in pixels; even (4:2:0). Required.</summary>
    public int Width { get; set; }

    /// <summary>Output height in pixels; even (4:2:0). Required.</summary>
    public int Height { get; set; }

    /// <summary>Nominal frame rate numerator. Default 30: the usual live input; x264's rate control and level use it.</summary>
    public int FrameRateNumerator { get; set; } = 30;

    /// <summary>Nominal frame rate denominator. Default 1.</summary>
    public int FrameRateDenominator { get; set; } = 1;

    /// <summary>Average bit rate in bits per second ("b"). Required.</summary>
    public long BitRate { get; set; }

    /// <summary>Peak bit rate ("maxrate"); default null = <see cref="BitRate"/>, so segments stay near the advertised BANDWIDTH.</summary>
    public long? MaxRate { get; set; }

    /// <summary>VBV buffer in bits ("bufsize"); default null = 2 x the peak rate, two seconds of smoothing like a 2 s segment.</summary>
    public long? BufferSize { get; set; }

    /// <summary>
    /// Largest GOP in frames ("g", x264 keyint). Required. Make it longer than the source's GOP: IDRs are
    /// forced at the source's keyframes, and this interval only bounds a source that sends none.
    /// </summary>
    public int KeyframeInterval { get; set; }

    /// <summary>Smallest GOP in frames ("keyint_min", x264 min-keyint); default null = <see cref="KeyframeInterval"/> (x264 caps it at keyint / 2 + 1). Forced IDRs ignore it.</summary>
    public int? MinKeyframeInterval { get; set; }

    /// <summary>x264 preset. Default "veryfast": three rungs of 1080p input ran at 64 fps on 2 cores with it.</summary>
    public string Preset { get; set; } = "veryfast";

    /// <summary>H.264 profile. Default "high": every HLS/DASH player of the last decade decodes it.</summary>
    public string Profile { get; set; } = "high";

    /// <summary>H.264 level such as "3.1"; default null: x264 picks the lowest level that fits size, rate and VBV.</summary>
    public string? Level { get; set; }

    /// <summary>x264 tune; default null. "zerolatency" removes the ~17-frame lookahead/B-frame delay at some quality cost.</summary>
    public string? Tune { get; set; }

    /// <summary>Encoder threads. Default 2: the library default of 1 ran the ladder at 39 fps instead of 64 on 2 cores.</summary>
    public int Threads { get; set; } = 2;

    /// <summary>
    /// More avcodec_open2 options by AVOption name (e.g. "rc-lookahead" = "10"); default empty. Any key
    /// neither the codec context nor libx264 knows makes the encoder's construction fail.
    /// </summary>
    public Dictionary<string, string> AdditionalOptions { get; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid property.</summary>
    public void Validate()
    {
        if (Width < 2 || Height < 2 || Width % 2 != 0 || Height % 2 != 0)
        {
            throw new ArgumentException($"{nameof(Width)}/{nameof(Height)} {Width}x{Height}: must be even and at least 2 (YUV 4:2:0)");
        }

        if (FrameRateNumerator <= 0 || FrameRateDenominator <= 0)
        {
            throw new ArgumentException($"{nameof(FrameRateNumerator)}/{nameof(FrameRateDenominator)} {FrameRateNumerator}/{FrameRateDenominator}: must be positive");
        }

        if (BitRate <= 0)
        {
            throw new ArgumentException($"{nameof(BitRate)} {BitRate}: must be positive (bits per second)");
        }

        if (MaxRate is { } max && max < BitRate)
        {
            throw new ArgumentException($"{nameof(MaxRate)} {max}: must be at least {nameof(BitRate)} {BitRate}");
        }

        if (BufferSize is <= 0)
        {
            throw new ArgumentException($"{nameof(BufferSize)} {BufferSize}: must be positive (bits)");
        }

        if (KeyframeInterval < 1)
        {
            throw new ArgumentException($"{nameof(KeyframeInterval)} {KeyframeInterval}: must be at least 1 frame");
        }

        if (MinKeyframeInterval is { } min && (min < 1 || min > KeyframeInterval))
        {
            throw new ArgumentException($"{nameof(MinKeyframeInterval)} {min}: must be between 1 and {nameof(KeyframeInterval)} {KeyframeInterval}");
        }

        if (string.IsNullOrWhiteSpace(Preset) || string.IsNullOrWhiteSpace(Profile))
        {
            throw new ArgumentException($"{nameof(Preset)} and {nameof(Profile)} are required");
        }

        if (Threads < 1)
        {
            throw new ArgumentException($"{nameof(Threads)} {Threads}: must be at least 1");
        }
    }

    /// <summary>The avcodec_open2 options: generic AVCodecContext ones and libx264's private ones.</summary>
    internal List<KeyValuePair<string, string>> ToCodecOptions()
    {
        long maxRate = MaxRate ?? BitRate;
        int minKeyint = MinKeyframeInterval ?? KeyframeInterval;
        var options = new List<KeyValuePair<string, string>>
        {
            new("video_size", Invariant($"{Width}x{Height}")),
            new("pixel_format", "yuv420p"),
            new("time_base", "1/90000"),
            new("b", Invariant($"{BitRate}")),
            new("maxrate", Invariant($"{maxRate}")),
            new("bufsize", Invariant($"{BufferSize ?? (2 * maxRate)}")),
            new("g", Invariant($"{KeyframeInterval}")),
            new("keyint_min", Invariant($"{minKeyint}")),
            new("threads", Invariant($"{Threads}")),
            new("flags", "+global_header"),
            new("preset", Preset),
            new("profile", Profile),
            // scenecut=0: keyframes only where forced or at keyint, so every rung cuts at the same instants.
            // force-cfr=1: the SPS's timing says the nominal frame rate (time_scale = 2 x fps) instead of
            // the 1/90000 time base (which read as 90000 fps in FRAME-RATE and the MPD's frameRate);
            // rate control runs on that rate, and timestamps pass through unchanged.
            new("x264-params", Invariant($"keyint={KeyframeInterval}:min-keyint={minKeyint}:scenecut=0:force-cfr=1")),
            // A frame with pict_type I becomes an IDR, not just an I-frame with open-GOP references.
            new("forced-idr", "1"),
        };
        if (Level is not null)
        {
            options.Add(new("level", Level));
        }

        if (Tune is not null)
        {
            options.Add(new("tune", Tune));
        }

        options.AddRange(AdditionalOptions);
        return options;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
