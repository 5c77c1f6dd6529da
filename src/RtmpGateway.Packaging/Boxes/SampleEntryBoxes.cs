namespace RtmpGateway.Packaging.Boxes;

/// <summary>
/// Sample entries (ISO/IEC 14496-12 §8.5.2, §12.1.3, §12.2.3) and the codec configuration boxes they
/// carry: avcC/hvcC (ISO/IEC 14496-15 §5.4.2.1, §8.4.1), av1C (AV1 Codec ISO Media File Format Binding
/// §2.3) and esds (ISO/IEC 14496-14 §5.6, descriptors from ISO/IEC 14496-1 §7.2.6).
/// </summary>
public static class SampleEntryBoxes
{
    /// <summary>Bytes of a VisualSampleEntry before its child boxes (box header included).</summary>
    public const int VisualSampleEntryHeaderSize = BoxWriter.BoxHeaderSize + 78;

    /// <summary>Bytes of a version-0 AudioSampleEntry before its child boxes (box header included).</summary>
    public const int AudioSampleEntryHeaderSize = BoxWriter.BoxHeaderSize + 28;

    /// <summary>
    /// A VisualSampleEntry whose single child is the codec configuration box (avcC, hvcC or av1C) holding
    /// <paramref name="record"/> unchanged:
    /// <code>
    /// aligned(8) abstract class SampleEntry (unsigned int(32) format) extends Box(format) {
    ///    const unsigned int(8)[6] reserved = 0;
    ///    unsigned int(16) data_reference_index;
    /// }
    /// class VisualSampleEntry(codingname) extends SampleEntry (codingname) {
    ///    unsigned int(16) pre_defined = 0; const unsigned int(16) reserved = 0;
    ///    unsigned int(32)[3] pre_defined = 0;
    ///    unsigned int(16) width; unsigned int(16) height;
    ///    template unsigned int(32) horizresolution = 0x00480000; // 72 dpi
    ///    template unsigned int(32) vertresolution = 0x00480000; // 72 dpi
    ///    const unsigned int(32) reserved = 0;
    ///    template unsigned int(16) frame_count = 1;
    ///    uint(8)[32] compressorname;
    ///    template unsigned int(16) depth = 0x0018;
    ///    int(16) pre_defined = -1;
    ///    // other boxes from derived specifications
    /// }
    /// </code>
    /// compressorname is left empty (a zero length byte and zero padding): it is "for informative purposes".
    /// </summary>
    /// <param name="format"><see cref="BoxType.Avc1"/>, <see cref="BoxType.Hvc1"/> or <see cref="BoxType.Av01"/>.</param>
    /// <param name="configType"><see cref="BoxType.AvcC"/>, <see cref="BoxType.HvcC"/> or <see cref="BoxType.Av1C"/>.</param>
    public static void WriteVisualSampleEntry(ref BoxWriter writer, uint format, int width, int height, uint configType, ReadOnlySpan<byte> record)
    {
        if (width is < 0 or > ushort.MaxValue || height is < 0 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height} does not fit the 16-bit width/height fields");
        }

        int entry = writer.StartBox(format);
        writer.WriteZeros(6); // reserved
        writer.WriteUInt16(1); // data_reference_index: the one 'url ' entry in dref
        writer.WriteZeros(2 + 2 + 12); // pre_defined, reserved, pre_defined[3]
        writer.WriteUInt16((ushort)width);
        writer.WriteUInt16((ushort)height);
        writer.WriteUInt32(0x0048_0000); // horizresolution 72 dpi
        writer.WriteUInt32(0x0048_0000); // vertresolution 72 dpi
        writer.WriteUInt32(0); // reserved
        writer.WriteUInt16(1); // frame_count
        writer.WriteZeros(32); // compressorname
        writer.WriteUInt16(0x0018); // depth: "images are in colour with no alpha"
        writer.WriteInt16(-1); // pre_defined

        // 14496-15 §5.4.2.1: class AVCConfigurationBox extends Box('avcC') { AVCDecoderConfigurationRecord() AVCConfig; }
        // (hvcC likewise in §8.4.1, av1C in the AV1 binding §2.3.3.) The record goes in as received.
        int config = writer.StartBox(configType);
        writer.WriteBytes(record);
        writer.EndBox(config);
        writer.EndBox(entry);
    }

    /// <summary>
    /// An 'mp4a' AudioSampleEntry (version 0) with its 'esds':
    /// <code>
    /// class AudioSampleEntry(codingname) extends SampleEntry (codingname) {
    ///    const unsigned int(32)[2] reserved = 0;
    ///    template unsigned int(16) channelcount = 2;
    ///    template unsigned int(16) samplesize = 16;
    ///    unsigned int(16) pre_defined = 0;
    ///    const unsigned int(16) reserved = 0;
    ///    template unsigned int(32) samplerate = { default samplerate of media } &lt;&lt; 16;
    /// }
    /// </code>
    /// samplerate is 16.16, so a rate above 65535 (88.2 kHz, 96 kHz) cannot be written in it. 14496-12
    /// offers AudioSampleEntryV1 with a SamplingRateBox for that, but its entry_version field sits where a
    /// QuickTime sound description has its version, and QuickTime-derived parsers (AVFoundation, which
    /// Safari plays HLS with) then read 16 bytes of QuickTime v1 fields that are not there. So such rates
    /// stay in a version-0 entry with samplerate 0 (ffmpeg's mp4 muxer does the same): for MPEG-4 audio the
    /// decoder takes samplingFrequency from the AudioSpecificConfig in esds (14496-3 §1.6.2.1), and the
    /// media timescale in mdhd carries the exact rate for timing.
    /// </summary>
    public static void WriteMp4aSampleEntry(ref BoxWriter writer, int channels, int sampleRate, ReadOnlySpan<byte> audioSpecificConfig)
    {
        if (channels is < 0 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "does not fit channelcount");
        }

        if (sampleRate <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "a positive sample rate is expected");
        }

        int entry = writer.StartBox(BoxType.Mp4a);
        writer.WriteZeros(6); // reserved
        writer.WriteUInt16(1); // data_reference_index
        writer.WriteZeros(8); // reserved
        writer.WriteUInt16((ushort)channels);
        writer.WriteUInt16(16); // samplesize
        writer.WriteUInt16(0); // pre_defined
        writer.WriteUInt16(0); // reserved
        writer.WriteUInt32(sampleRate <= ushort.MaxValue ? (uint)sampleRate << 16 : 0);
        WriteEsds(ref writer, audioSpecificConfig);
        writer.EndBox(entry);
    }

    /// <summary>
    /// ISO/IEC 14496-14 §5.6.1 ESDBox (<c>class ESDBox extends FullBox('esds', 0, 0) { ES_Descriptor ES; }</c>) holding
    /// an ISO/IEC 14496-1 §7.2.6.5 ES_Descriptor:
    /// <code>
    /// ES_Descriptor (tag 0x03) {
    ///    bit(16) ES_ID;                      // 0: in an MP4 file the track_ID, not the ES_ID, identifies the stream (14496-14)
    ///    bit(1) streamDependenceFlag; bit(1) URL_Flag; bit(1) OCRstreamFlag; bit(5) streamPriority; // all 0
    ///    DecoderConfigDescriptor (tag 0x04) {
    ///       bit(8) objectTypeIndication;     // 0x40: Audio ISO/IEC 14496-3
    ///       bit(6) streamType;               // 0x05: AudioStream
    ///       bit(1) upStream;                 // 0
    ///       const bit(1) reserved = 1;
    ///       bit(24) bufferSizeDB;            // 0: not known when the header is written
    ///       bit(32) maxBitrate;              // 0: not known
    ///       bit(32) avgBitrate;              // 0: "for streams with variable bitrate this value shall be set to zero"
    ///       DecoderSpecificInfo (tag 0x05) { AudioSpecificConfig }
    ///    }
    ///    SLConfigDescriptor (tag 0x06) { bit(8) predefined = 2; } // 14496-1 Table: 0x02 "Reserved for use in MP4 files"
    /// }
    /// </code>
    /// Descriptor sizes use the four-byte form of the §8.3.3 expandable size (0x80 0x80 0x80 n: "nextByte"
    /// set on the first three), as ffmpeg and Apple's tools write it, so the layout has fixed offsets.
    /// </summary>
    public static void WriteEsds(ref BoxWriter writer, ReadOnlySpan<byte> audioSpecificConfig)
    {
        const byte EsDescrTag = 0x03;
        const byte DecoderConfigDescrTag = 0x04;
        const byte DecSpecificInfoTag = 0x05;
        const byte SlConfigDescrTag = 0x06;
        const byte ObjectTypeAudioIso14496Part3 = 0x40;
        const byte AudioStream = 0x05;

        int decoderSpecificInfoSize = DescriptorSize(audioSpecificConfig.Length);
        int decoderConfigSize = DescriptorSize(13 + decoderSpecificInfoSize);
        int slConfigSize = DescriptorSize(1);
        int esContent = 3 + decoderConfigSize + slConfigSize;

        int box = writer.StartFullBox(BoxType.Esds, 0, 0);
        WriteDescriptorHeader(ref writer, EsDescrTag, esContent);
        writer.WriteUInt16(0); // ES_ID
        writer.WriteUInt8(0); // streamDependenceFlag, URL_Flag, OCRstreamFlag, streamPriority

        WriteDescriptorHeader(ref writer, DecoderConfigDescrTag, 13 + decoderSpecificInfoSize);
        writer.WriteUInt8(ObjectTypeAudioIso14496Part3);
        writer.WriteUInt8((AudioStream << 2) | 0b01); // streamType, upStream 0, reserved 1
        writer.WriteUInt24(0); // bufferSizeDB
        writer.WriteUInt32(0); // maxBitrate
        writer.WriteUInt32(0); // avgBitrate

        WriteDescriptorHeader(ref writer, DecSpecificInfoTag, audioSpecificConfig.Length);
        writer.WriteBytes(audioSpecificConfig);

        WriteDescriptorHeader(ref writer, SlConfigDescrTag, 1);
        writer.WriteUInt8(2); // predefined
        writer.EndBox(box);
    }

    /// <summary>Tag byte + four-byte expandable size + contents.</summary>
    private static int DescriptorSize(int contentLength) => 1 + 4 + contentLength;

    /// <summary>
    /// 14496-1 §8.3.3: <c>bit(1) nextByte; bit(7) sizeOfInstance;</c> repeated while nextByte is set; the size is
    /// the 7-bit groups concatenated, most significant first. Four bytes give 28 bits.
    /// </summary>
    private static void WriteDescriptorHeader(ref BoxWriter writer, byte tag, int contentLength)
    {
        if (contentLength is < 0 or >= 1 << 28)
        {
            throw new ArgumentOutOfRangeException(nameof(contentLength), contentLength, "does not fit a descriptor size");
        }

        writer.WriteUInt8(tag);
        writer.WriteUInt8((byte)(0x80 | ((contentLength >> 21) & 0x7F)));
        writer.WriteUInt8((byte)(0x80 | ((contentLength >> 14) & 0x7F)));
        writer.WriteUInt8((byte)(0x80 | ((contentLength >> 7) & 0x7F)));
        writer.WriteUInt8((byte)(contentLength & 0x7F));
    }
}
