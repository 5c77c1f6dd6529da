using RtmpGateway.Media;

namespace RtmpGateway.Fuzz.Targets;

/// <summary>
/// Video decoder configuration: the same bytes as an AVCDecoderConfigurationRecord (with its first
/// SPS, as <see cref="CodecConfig.FromAvcRecord"/> reads it), as an H.264 SPS NAL unit, as an
/// HEVCDecoderConfigurationRecord, as an H.265 SPS NAL unit and as an AV1CodecConfigurationRecord.
/// Each parser rejects the others' records at their first byte, so one corpus serves all five.
/// </summary>
internal sealed class VideoConfigTarget : FuzzTarget
{
    public override string Name => "avcc";

    public override string Description => "avcC + H.264 SPS (also hvcC, H.265 SPS, av1C)";

    protected override FuzzOutcome RunCore(byte[] input)
    {
        var parsed = new List<string>();
        var refused = new List<string>();
        void Try(string what, Func<string> parse)
        {
            try
            {
                parsed.Add($"{what} {parse()}");
            }
            catch (MediaFormatException ex)
            {
                refused.Add($"{what} {ex.Reason}");
            }
        }

        Try("avcC", () => CheckVideo(CodecConfig.FromAvcRecord(input)));
        Try("sps", () => CheckSize(H264Sps.Parse(input) is var sps ? (sps.Width, sps.Height) : default));
        Try("hvcC", () => CheckVideo(CodecConfig.FromHevcRecord(input)));
        Try("hevc-sps", () => CheckSize(HevcSps.Parse(input) is var sps ? (sps.Width, sps.Height) : default));
        Try("av1C", () => CheckVideo(CodecConfig.FromAv1Record(input)));
        string detail = string.Join(", ", parsed.Concat(refused));
        return parsed.Count > 0 ? FuzzOutcome.Accept(detail) : FuzzOutcome.Refuse(detail);
    }

    private static string CheckVideo(CodecConfig config)
    {
        if (config.Width < 0 || config.Height < 0 || string.IsNullOrEmpty(config.CodecString) || config.FrameRate is { } rate && !(double.IsFinite(rate) && rate > 0))
        {
            throw new FuzzInvariantException($"config {config}: {config.Width}x{config.Height}, frame rate {config.FrameRate}");
        }

        return config.ToString();
    }

    private static string CheckSize((int Width, int Height) size)
    {
        // Both SPS parsers refuse a picture that cropping leaves empty.
        if (size.Width <= 0 || size.Height <= 0)
        {
            throw new FuzzInvariantException($"SPS parsed to {size.Width}x{size.Height}");
        }

        return $"{size.Width}x{size.Height}";
    }
}
