using System.Buffers;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Boxes;

namespace RtmpGateway.Packaging.Cmaf;

/// <summary>
/// Writes CMAF chunks (ISO/IEC 23000-19 §7.3.2.4: one MovieFragmentBox and the MediaDataBox it
/// references) and the SegmentTypeBox that starts a CMAF segment. A segment is <c>styp</c> followed by
/// one or more chunks; each chunk is self-describing, so chunks concatenate into a valid segment as long
/// as their sequence numbers increase and each starts where the previous one ended in decode time.
/// <code>
/// moof
///   mfhd   sequence_number
///   traf
///     tfhd   flags default-base-is-moof (0x020000), track_ID
///     tfdt   version 1, baseMediaDecodeTime = samples[0].Dts
///     trun   version 1, flags 0x000F01: data_offset + per sample duration, size, flags, signed composition offset
/// mdat     the samples' bytes, in order
/// </code>
/// data_offset counts from the first byte of the moof (default-base-is-moof) to the first byte of the
/// mdat payload, i.e. moof size + 8. Every sample carries its own flags (no first-sample-flags or
/// defaults): a video chunk that is an LL-HLS part may start with a non-sync sample, and per-sample flags
/// say so without a special case.
/// </summary>
public static class CmafFragment
{
    private const int MdatHeaderSize = BoxWriter.BoxHeaderSize;

    private static readonly byte[] SegmentType = BuildSegmentType();

    /// <summary>The 'styp' that starts every CMAF segment (brands: see <see cref="CmafBrands"/>).</summary>
    public static ReadOnlySpan<byte> SegmentTypeBox => SegmentType;

    /// <summary>Bytes a chunk of <paramref name="sampleCount"/> samples adds to its samples' bytes (moof + mdat header).</summary>
    public static int ChunkOverhead(int sampleCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleCount);
        return MoofSize(sampleCount) + MdatHeaderSize;
    }

    /// <summary>The exact size of the chunk <see cref="WriteChunk(CodecConfig, uint, IReadOnlyList{CmafSample})"/> writes.</summary>
    public static int GetChunkSize(IReadOnlyList<CmafSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return checked(ChunkOverhead(samples.Count) + PayloadSize(samples));
    }

    /// <summary>Writes the segment type box into <paramref name="output"/>.</summary>
    public static void WriteSegmentType(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(SegmentType);
    }

    /// <summary>Returns one CMAF chunk (moof + mdat) holding <paramref name="samples"/>.</summary>
    public static byte[] WriteChunk(CodecConfig config, uint sequenceNumber, IReadOnlyList<CmafSample> samples)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(samples);
        int payload = Validate(samples);
        int headerSize = ChunkOverhead(samples.Count);
        byte[] chunk = new byte[checked(headerSize + payload)];
        WriteHeaders(chunk, config, sequenceNumber, samples, payload);
        int offset = headerSize;
        for (int i = 0; i < samples.Count; i++)
        {
            ReadOnlySpan<byte> data = samples[i].Data.Span;
            data.CopyTo(chunk.AsSpan(offset));
            offset += data.Length;
        }

        return chunk;
    }

    /// <summary>
    /// Writes one CMAF chunk into <paramref name="output"/> (the samples' bytes are copied once, into the
    /// output); returns the number of bytes written.
    /// </summary>
    public static int WriteChunk(CodecConfig config, uint sequenceNumber, IReadOnlyList<CmafSample> samples, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(output);
        int payload = Validate(samples);
        int headerSize = ChunkOverhead(samples.Count);
        int total = checked(headerSize + payload);
        WriteHeaders(output.GetSpan(headerSize), config, sequenceNumber, samples, payload);
        output.Advance(headerSize);
        for (int i = 0; i < samples.Count; i++)
        {
            output.Write(samples[i].Data.Span);
        }

        return total;
    }

    private static void WriteHeaders(Span<byte> destination, CodecConfig config, uint sequenceNumber, IReadOnlyList<CmafSample> samples, int payloadSize)
    {
        int moofSize = MoofSize(samples.Count);
        var writer = new BoxWriter(destination);
        int moof = writer.StartBox(BoxType.Moof);
        FragmentBoxes.WriteMfhd(ref writer, sequenceNumber);
        int traf = writer.StartBox(BoxType.Traf);
        FragmentBoxes.WriteTfhd(ref writer, (uint)config.TrackId);
        FragmentBoxes.WriteTfdt(ref writer, samples[0].Dts);

        // "data_offset is added to the implicit or explicit data_offset established in the track fragment header":
        // with default-base-is-moof that is the moof's first byte, so the payload starts moof size + mdat header later.
        int trun = FragmentBoxes.StartTrun(ref writer, samples.Count, moofSize + MdatHeaderSize);
        bool audio = config.Kind == MediaKind.Audio;
        for (int i = 0; i < samples.Count; i++)
        {
            CmafSample sample = samples[i];
            // Every audio frame (AAC) decodes on its own: sample_depends_on 2, a sync sample.
            uint flags = audio || sample.IsSync ? SampleFlags.Sync : SampleFlags.NonSync;
            FragmentBoxes.WriteTrunSample(ref writer, (uint)sample.Duration, (uint)sample.Data.Length, flags, sample.CompositionOffset);
        }

        writer.EndBox(trun);
        writer.EndBox(traf);
        writer.EndBox(moof);

        // §8.1.1: aligned(8) class MediaDataBox extends Box('mdat') { bit(8) data[]; }
        writer.WriteUInt32((uint)(MdatHeaderSize + payloadSize));
        writer.WriteFourCc(BoxType.Mdat);
        System.Diagnostics.Debug.Assert(writer.Position == moofSize + MdatHeaderSize, "moof layout and MoofSize disagree");
    }

    /// <summary>moof = header + mfhd + traf(header + tfhd + tfdt + trun).</summary>
    private static int MoofSize(int sampleCount) =>
        BoxWriter.BoxHeaderSize + FragmentBoxes.MfhdSize
        + BoxWriter.BoxHeaderSize + FragmentBoxes.TfhdSize + FragmentBoxes.TfdtSize + FragmentBoxes.TrunSize(sampleCount);

    /// <summary>Checks what the boxes cannot express and returns the payload size.</summary>
    private static int Validate(IReadOnlyList<CmafSample> samples)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("a CMAF chunk holds at least one sample", nameof(samples));
        }

        if (samples[0].Dts < 0)
        {
            throw new ArgumentException($"first DTS {samples[0].Dts} is negative; tfdt baseMediaDecodeTime is unsigned", nameof(samples));
        }

        for (int i = 0; i < samples.Count; i++)
        {
            CmafSample sample = samples[i];
            if (sample.Duration < 0)
            {
                throw new ArgumentException($"sample {i} has a negative duration {sample.Duration}", nameof(samples));
            }

            // trun has no per-sample decode time: sample i decodes at tfdt + the durations before it (§8.8.8).
            if (i + 1 < samples.Count && sample.Dts + sample.Duration != samples[i + 1].Dts)
            {
                throw new ArgumentException(
                    $"sample {i} at DTS {sample.Dts} lasts {sample.Duration} but sample {i + 1} is at DTS {samples[i + 1].Dts}; a trun can only say contiguous decode times",
                    nameof(samples));
            }
        }

        return PayloadSize(samples);
    }

    private static int PayloadSize(IReadOnlyList<CmafSample> samples)
    {
        long total = 0;
        for (int i = 0; i < samples.Count; i++)
        {
            total += samples[i].Data.Length;
        }

        // mdat's 32-bit size and the int-sized buffers both need the chunk to stay well below 2 GiB.
        if (total > int.MaxValue - ChunkOverhead(samples.Count))
        {
            throw new ArgumentException($"{total} bytes of samples do not fit one chunk", nameof(samples));
        }

        return (int)total;
    }

    private static byte[] BuildSegmentType()
    {
        byte[] styp = new byte[FileTypeBox.Size(CmafBrands.SegmentCompatible.Length)];
        var writer = new BoxWriter(styp);
        FileTypeBox.Write(ref writer, BoxType.Styp, CmafBrands.SegmentMajor, 0, CmafBrands.SegmentCompatible);
        return styp;
    }
}
