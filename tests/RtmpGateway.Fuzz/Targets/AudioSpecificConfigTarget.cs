using RtmpGateway.Media;

namespace RtmpGateway.Fuzz.Targets;

/// <summary>
/// AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) as an AAC sequence header carries it, read into a
/// <see cref="CodecConfig"/> whose sample rate becomes the track's timescale.
/// </summary>
internal sealed class AudioSpecificConfigTarget : FuzzTarget
{
    public override string Name => "asc";

    public override string Description => "AudioSpecificConfig (GASpecificConfig, PCE, SBR/PS extensions)";

    protected override FuzzOutcome RunCore(byte[] input)
    {
        CodecConfig config;
        try
        {
            config = CodecConfig.FromAudioSpecificConfig(input);
        }
        catch (MediaFormatException ex)
        {
            return FuzzOutcome.Refuse(ex.Reason.ToString());
        }

        AudioSpecificConfig asc = config.Aac!;
        if (config.Timescale <= 0 || asc.SamplingFrequency <= 0 || asc.Channels < 0 || asc.AudioObjectType <= 0)
        {
            throw new FuzzInvariantException(
                $"AOT {asc.AudioObjectType}, {asc.SamplingFrequency} Hz, {asc.Channels} channels, timescale {config.Timescale}");
        }

        return FuzzOutcome.Accept(config.ToString());
    }
}
