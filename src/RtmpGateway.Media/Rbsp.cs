namespace RtmpGateway.Media;

/// <summary>NAL unit payload helpers shared by H.264 and H.265.</summary>
internal static class Rbsp
{
    /// <summary>
    /// Removes emulation_prevention_three_byte (H.264 7.3.1 / H.265 7.3.1.1): within the NAL unit
    /// "the sequence 0x000003" carries an inserted 0x03 that the decoder discards. The result is never
    /// longer than the input, so its size comes from bytes present, not from a declared length.
    /// </summary>
    public static byte[] Unescape(ReadOnlySpan<byte> nal)
    {
        byte[] rbsp = new byte[nal.Length];
        int n = 0;
        int zeros = 0;
        foreach (byte b in nal)
        {
            if (zeros >= 2 && b == 0x03)
            {
                zeros = 0;
                continue;
            }

            rbsp[n++] = b;
            zeros = b == 0 ? zeros + 1 : 0;
        }

        return n == rbsp.Length ? rbsp : rbsp.AsSpan(0, n).ToArray();
    }
}
