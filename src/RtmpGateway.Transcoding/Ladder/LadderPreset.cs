namespace RtmpGateway.Transcoding.Ladder;

/// <summary>
/// An ABR ladder loaded from <c>ffmpeg-config/{name}.json</c>: whether the source rendition is kept
/// (passed through untouched), the transcoded rungs, and the audio policy (passthrough only).
/// </summary>
public sealed class LadderPreset
{
    public LadderPreset(string name, string? description, bool includeSource, IReadOnlyList<LadderRung> rungs)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(rungs);
        Name = name;
        Description = description;
        IncludeSource = includeSource;
        Rungs = rungs;
    }

    public string Name { get; }

    public string? Description { get; }

    /// <summary>True when the preset lists the source rung (<c>"passthrough": true</c>): the publisher's video, not re-encoded.</summary>
    public bool IncludeSource { get; }

    /// <summary>The transcoded rungs, largest first, at their nominal sizes.</summary>
    public IReadOnlyList<LadderRung> Rungs { get; }

    /// <summary>True when nothing is transcoded (the passthrough preset).</summary>
    public bool IsPassthrough => Rungs.Count == 0;

    /// <summary>
    /// The rungs to encode for a <paramref name="sourceWidth"/> x <paramref name="sourceHeight"/> source,
    /// sizes resolved. Rules:
    /// <list type="bullet">
    /// <item>A rung's height is its short side ("720p" of a portrait 1080x1920 source is 720x1280).</item>
    /// <item>Never upscale, and never re-encode at the source's own size: a rung whose short side is
    /// equal to or larger than the source's is skipped, since the source rung already serves that size
    /// (a 720p source gets 480p and 360p plus the source).</item>
    /// <item>Aspect ratio is the source's: the long side is the short side times the source aspect,
    /// rounded to an even number (4:2:0). The preset's width is used as is when it is within 2 pixels of
    /// that (854 for 480p of 16:9, not the 853.3 the ratio gives); otherwise the derived width wins.
    /// Pixels are taken as square: a source signalling another sample aspect ratio is scaled by its
    /// coded display size.</item>
    /// </list>
    /// </summary>
    public IReadOnlyList<LadderRung> RungsFor(int sourceWidth, int sourceHeight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceWidth, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceHeight, 2);
        bool portrait = sourceHeight > sourceWidth;
        int sourceShort = Math.Min(sourceWidth, sourceHeight);
        int sourceLong = Math.Max(sourceWidth, sourceHeight);
        var result = new List<LadderRung>();
        foreach (LadderRung rung in Rungs)
        {
            int shortSide = Math.Min(rung.Width, rung.Height);
            if (shortSide >= sourceShort)
            {
                continue;
            }

            int nominalLong = Math.Max(rung.Width, rung.Height);
            int derivedLong = Even((double)shortSide * sourceLong / sourceShort);
            int longSide = Math.Abs(nominalLong - derivedLong) <= 2 && nominalLong % 2 == 0 ? nominalLong : derivedLong;
            result.Add(portrait
                ? rung with { Width = shortSide, Height = longSide }
                : rung with { Width = longSide, Height = shortSide });
        }

        return result;
    }

    private static int Even(double value) => Math.Max(2, (int)Math.Round(value / 2, MidpointRounding.AwayFromZero) * 2);
}
