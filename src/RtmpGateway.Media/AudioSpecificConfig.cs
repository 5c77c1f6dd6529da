namespace RtmpGateway.Media;

/// <summary>
/// AudioSpecificConfig, ISO/IEC 14496-3 1.6.2.1, with GASpecificConfig (4.4.1), program_config_element
/// (4.4.1.1, for channel counting) and the backward-compatible SBR/PS sync extensions.
/// </summary>
public sealed class AudioSpecificConfig
{
    // Table 1.18 - Sampling Frequency Index; 0xd and 0xe are reserved, 0xf = escape (24-bit value follows).
    private static readonly int[] SamplingFrequencies =
        [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

    private AudioSpecificConfig()
    {
    }

    /// <summary>The first audioObjectType signalled (5 = SBR and 29 = PS when signalled explicitly/hierarchically).</summary>
    public int AudioObjectType { get; private init; }

    /// <summary>The underlying core object type (equal to <see cref="AudioObjectType"/> unless it is 5 or 29).</summary>
    public int CoreObjectType { get; private init; }

    public int SamplingFrequencyIndex { get; private init; }

    /// <summary>The core sampling frequency in Hz (from the table, or the explicit 24-bit value for index 0xf).</summary>
    public int SamplingFrequency { get; private init; }

    public int ChannelConfiguration { get; private init; }

    /// <summary>Output channels: from Table 1.19 for channelConfiguration 1..14, or counted from the PCE for 0.</summary>
    public int Channels { get; private init; }

    /// <summary>-1 = not signalled, 0 = explicitly absent, 1 = explicitly present.</summary>
    public int SbrPresent { get; private init; } = -1;

    /// <summary>-1 = not signalled, 0 = explicitly absent, 1 = explicitly present.</summary>
    public int PsPresent { get; private init; } = -1;

    /// <summary>extensionAudioObjectType (5 for SBR), 0 if none.</summary>
    public int ExtensionObjectType { get; private init; }

    /// <summary>The SBR output sampling frequency when signalled, otherwise 0.</summary>
    public int ExtensionSamplingFrequency { get; private init; }

    /// <summary>GASpecificConfig frameLengthFlag: false = 1024 samples per frame, true = 960.</summary>
    public bool FrameLengthFlag { get; private init; }

    public bool DependsOnCoreCoder { get; private init; }

    /// <summary>Samples per channel in one raw AAC frame of the core coder (1024 or 960 for GA object types).</summary>
    public int FrameLength => FrameLengthFlag ? 960 : 1024;

    public static AudioSpecificConfig Parse(ReadOnlySpan<byte> asc)
    {
        var r = new BitReader(asc, MediaErrorReason.AscMalformed, "AudioSpecificConfig");
        int aot = ReadObjectType(ref r);
        if (aot == 0)
        {
            throw r.Error("audioObjectType 0 (Null)");
        }

        (int sfi, int rate) = ReadSamplingFrequency(ref r);
        int channelConfig = (int)r.ReadBits(4);
        int sbr = -1, ps = -1, extAot = 0, extRate = 0;
        int core = aot;
        if (aot is 5 or 29)
        {
            // "if ( audioObjectType == 5 || audioObjectType == 29 ) { extensionAudioObjectType = 5; sbrPresentFlag = 1;
            //   if ( audioObjectType == 29 ) psPresentFlag = 1; extensionSamplingFrequencyIndex; audioObjectType = GetAudioObjectType();"
            extAot = 5;
            sbr = 1;
            if (aot == 29)
            {
                ps = 1;
            }

            extRate = ReadSamplingFrequency(ref r).Rate;
            core = ReadObjectType(ref r);
            if (core == 22)
            {
                r.Skip(4); // extensionChannelConfiguration
            }
        }

        int channels = channelConfig switch
        {
            // Table 1.19 - Channel Configuration (with the 14496-3:2009 Amd 4 additions 11..14).
            >= 1 and <= 6 => channelConfig,
            7 => 8,
            11 => 7,
            12 => 8,
            13 => 24,
            14 => 8,
            0 => 0,
            _ => throw r.Error($"channelConfiguration {channelConfig} is reserved"),
        };

        bool frameLengthFlag = false, dependsOnCore = false;
        bool gaConfig = core is 1 or 2 or 3 or 4 or 6 or 7 or 17 or 19 or 20 or 21 or 22 or 23;
        if (gaConfig)
        {
            // GASpecificConfig (samplingFrequencyIndex, channelConfiguration, audioObjectType)
            frameLengthFlag = r.ReadFlag();
            dependsOnCore = r.ReadFlag();
            if (dependsOnCore)
            {
                r.Skip(14); // coreCoderDelay
            }

            bool extensionFlag = r.ReadFlag();
            if (channelConfig == 0)
            {
                channels = ReadProgramConfigElementChannels(ref r);
            }

            if (core is 6 or 20)
            {
                r.Skip(3); // layerNr
            }

            if (extensionFlag)
            {
                if (core == 22)
                {
                    r.Skip(5 + 11); // numOfSubFrame, layer_length
                }

                if (core is 17 or 19 or 20 or 23)
                {
                    r.Skip(3); // aacSectionDataResilienceFlag, aacScalefactorDataResilienceFlag, aacSpectralDataResilienceFlag
                }

                r.Skip(1); // extensionFlag3
            }

            // epConfig (2 bits) follows for the error-resilient types; 2 and 3 add an
            // ErrorProtectionSpecificConfig this parser does not read, so it stops there.
            int epConfig = core is 17 or 19 or 20 or 21 or 22 or 23 ? (int)r.ReadBits(2) : 0;

            // "if ( extensionAudioObjectType != 5 && bits_to_decode() >= 16 ) { syncExtensionType; 11 bits
            //   if (syncExtensionType == 0x2b7) { extensionAudioObjectType = GetAudioObjectType();
            //     if ( extensionAudioObjectType == 5 ) { sbrPresentFlag; 1 bit  if (sbrPresentFlag == 1) { extensionSamplingFrequencyIndex ...
            //       if ( bits_to_decode() >= 12 ) { syncExtensionType; 11 bits  if (syncExtensionType == 0x548) { psPresentFlag; 1 bit"
            if (extAot != 5 && epConfig < 2 && r.BitsRemaining >= 16)
            {
                if (r.ReadBits(11) == 0x2B7)
                {
                    int ext = ReadObjectType(ref r);
                    if (ext == 5)
                    {
                        extAot = 5;
                        sbr = (int)r.ReadBit();
                        if (sbr == 1)
                        {
                            extRate = ReadSamplingFrequency(ref r).Rate;
                            if (r.BitsRemaining >= 12 && r.ReadBits(11) == 0x548)
                            {
                                ps = (int)r.ReadBit();
                            }
                        }
                    }
                    else if (ext == 22)
                    {
                        extAot = 22;
                        sbr = (int)r.ReadBit();
                        if (sbr == 1)
                        {
                            extRate = ReadSamplingFrequency(ref r).Rate;
                        }

                        r.Skip(4); // extensionChannelConfiguration
                    }
                }
            }
        }

        return new AudioSpecificConfig
        {
            AudioObjectType = aot,
            CoreObjectType = core,
            SamplingFrequencyIndex = sfi,
            SamplingFrequency = rate,
            ChannelConfiguration = channelConfig,
            Channels = channels,
            SbrPresent = sbr,
            PsPresent = ps,
            ExtensionObjectType = extAot,
            ExtensionSamplingFrequency = extRate,
            FrameLengthFlag = frameLengthFlag,
            DependsOnCoreCoder = dependsOnCore,
        };
    }

    /// <summary>GetAudioObjectType(): 5 bits; "if (audioObjectType == 31) audioObjectType = 32 + audioObjectTypeExt;" (6 bits).</summary>
    private static int ReadObjectType(ref BitReader r)
    {
        int aot = (int)r.ReadBits(5);
        return aot == 31 ? 32 + (int)r.ReadBits(6) : aot;
    }

    private static (int Index, int Rate) ReadSamplingFrequency(ref BitReader r)
    {
        int index = (int)r.ReadBits(4);
        if (index == 0xF)
        {
            // "if ( samplingFrequencyIndex == 0xf ) { samplingFrequency; 24 bits"
            int explicitRate = (int)r.ReadBits(24);
            if (explicitRate == 0)
            {
                throw r.Error("explicit samplingFrequency 0");
            }

            return (index, explicitRate);
        }

        if (index >= SamplingFrequencies.Length)
        {
            throw r.Error($"samplingFrequencyIndex {index} is reserved");
        }

        return (index, SamplingFrequencies[index]);
    }

    /// <summary>program_config_element() (14496-3 4.4.1.1), read to count the output channels.</summary>
    private static int ReadProgramConfigElementChannels(ref BitReader r)
    {
        r.Skip(4 + 2 + 4); // element_instance_tag, object_type, sampling_frequency_index
        int front = (int)r.ReadBits(4);
        int side = (int)r.ReadBits(4);
        int back = (int)r.ReadBits(4);
        int lfe = (int)r.ReadBits(2);
        int assoc = (int)r.ReadBits(3);
        int cc = (int)r.ReadBits(4);
        if (r.ReadFlag())
        {
            r.Skip(4); // mono_mixdown_element_number
        }

        if (r.ReadFlag())
        {
            r.Skip(4); // stereo_mixdown_element_number
        }

        if (r.ReadFlag())
        {
            r.Skip(2 + 1); // matrix_mixdown_idx, pseudo_surround_enable
        }

        int channels = 0;
        for (int i = 0; i < front + side + back; i++)
        {
            // front/side/back_element_is_cpe, then a 4-bit tag_select: a CPE carries two channels.
            channels += r.ReadFlag() ? 2 : 1;
            r.Skip(4);
        }

        channels += lfe;
        r.Skip((lfe * 4) + (assoc * 4) + (cc * 5)); // lfe, assoc_data, valid_cc element tags
        // byte_alignment() relative to the start of the AudioSpecificConfig.
        long misalign = r.BitPosition % 8;
        if (misalign != 0)
        {
            r.Skip(8 - misalign);
        }

        int commentBytes = (int)r.ReadBits(8);
        r.Skip(commentBytes * 8L);
        if (channels == 0)
        {
            throw r.Error("program_config_element declares no channels");
        }

        return channels;
    }
}
