using System.Globalization;

namespace RtmpGateway.Transcoding.Ladder;

/// <summary>
/// H.264 level limits (ISO/IEC 14496-10 Table A-1) to pick a level a rung actually fits. A preset's
/// level is written for 30 fps; a 60 fps source needs more macroblocks per second, and a stream that
/// claims too low a level may be refused by strict decoders, so the level is raised, never lowered.
/// </summary>
public static class H264Level
{
    // Level, MaxMBPS (MB/s), MaxFS (MBs), MaxBR and MaxCPB (units of cpbBrVclFactor bits/s and bits).
    private static readonly (string Name, int MaxMbps, int MaxFs, int MaxBr, int MaxCpb)[] Table =
    [
        ("1", 1485, 99, 64, 175),
        ("1.1", 3000, 396, 192, 500),
        ("1.2", 6000, 396, 384, 1000),
        ("1.3", 11880, 396, 768, 2000),
        ("2", 11880, 396, 2000, 2000),
        ("2.1", 19800, 792, 4000, 4000),
        ("2.2", 20250, 1620, 4000, 4000),
        ("3", 40500, 1620, 10000, 10000),
        ("3.1", 108000, 3600, 14000, 14000),
        ("3.2", 216000, 5120, 20000, 20000),
        ("4", 245760, 8192, 20000, 25000),
        ("4.1", 245760, 8192, 50000, 62500),
        ("4.2", 522240, 8704, 50000, 62500),
        ("5", 589824, 22080, 135000, 135000),
        ("5.1", 983040, 36864, 240000, 240000),
        ("5.2", 2073600, 36864, 240000, 240000),
    ];

    /// <summary>True for "1" .. "5.2" (also "3.0" style); 1b is not offered.</summary>
    public static bool IsKnown(string level) => IndexOf(level) >= 0;

    /// <summary>
    /// The lowest level at or above <paramref name="requested"/> (null: the lowest of all) whose limits
    /// hold <paramref name="width"/> x <paramref name="height"/> at <paramref name="frameRate"/> with the
    /// given peak rate and VBV buffer (bits). For High profile the rate limits are 1.25 x (Table A-2).
    /// Beyond 5.2 it returns "5.2" and x264 warns.
    /// </summary>
    public static string Fit(string? requested, int width, int height, double frameRate, long maxRate, long bufferSize, string profile)
    {
        int start = requested is null ? 0 : IndexOf(requested);
        if (start < 0)
        {
            throw new ArgumentException($"'{requested}' is not an H.264 level", nameof(requested));
        }

        // Table A-2: cpbBrVclFactor 1250 for High, 1000 for Baseline, Main and Extended.
        int factor = profile.Equals("high", StringComparison.OrdinalIgnoreCase) ? 1250 : 1000;
        long frameSize = (long)((width + 15) / 16) * ((height + 15) / 16);
        double macroblocksPerSecond = frameSize * frameRate;
        for (int i = start; i < Table.Length; i++)
        {
            (string name, int maxMbps, int maxFs, int maxBr, int maxCpb) = Table[i];
            // A.3.1: PicWidthInMbs and FrameHeightInMbs each at most Sqrt(MaxFS * 8).
            double side = Math.Sqrt(maxFs * 8.0);
            if (frameSize <= maxFs && (width + 15) / 16 <= side && (height + 15) / 16 <= side
                && macroblocksPerSecond <= maxMbps && maxRate <= (long)maxBr * factor && bufferSize <= (long)maxCpb * factor)
            {
                return name;
            }
        }

        return Table[^1].Name;
    }

    private static int IndexOf(string level)
    {
        if (!double.TryParse(level, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value))
        {
            return -1;
        }

        string canonical = value.ToString("0.#", CultureInfo.InvariantCulture);
        return Array.FindIndex(Table, t => t.Name == canonical);
    }
}
