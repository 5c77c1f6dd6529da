using System.Globalization;

namespace RtmpGateway.Media;

/// <summary>
/// The onMetaData properties a publisher sends (FLV spec E.5, via @setDataFrame). Informational only:
/// sizes and rates used for packaging come from the sequence headers, never from here.
/// </summary>
public sealed class StreamMetadata
{
    private StreamMetadata(Dictionary<string, object?> properties)
    {
        Properties = properties;
        Width = Number("width");
        Height = Number("height");
        FrameRate = Number("framerate");
        VideoDataRate = Number("videodatarate");
        AudioDataRate = Number("audiodatarate");
        AudioSampleRate = Number("audiosamplerate");
        Encoder = properties.GetValueOrDefault("encoder") as string;
        VideoCodecId = properties.GetValueOrDefault("videocodecid");
        AudioCodecId = properties.GetValueOrDefault("audiocodecid");
    }

    public double? Width { get; }

    public double? Height { get; }

    public double? FrameRate { get; }

    /// <summary>kbit/s as the publisher states it.</summary>
    public double? VideoDataRate { get; }

    public double? AudioDataRate { get; }

    public double? AudioSampleRate { get; }

    public string? Encoder { get; }

    /// <summary>A number (FLV CodecID, or an Enhanced RTMP FourCC as a number) or a string, as sent.</summary>
    public object? VideoCodecId { get; }

    public object? AudioCodecId { get; }

    /// <summary>All properties as received (a later duplicate key wins).</summary>
    public IReadOnlyDictionary<string, object?> Properties { get; }

    /// <summary>AMF numbers arrive as double, strings as string, booleans as bool.</summary>
    public static StreamMetadata FromProperties(IEnumerable<KeyValuePair<string, object?>> props)
    {
        ArgumentNullException.ThrowIfNull(props);
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, object?> p in props)
        {
            if (p.Key is not null)
            {
                dict[p.Key] = p.Value;
            }
        }

        return new StreamMetadata(dict);
    }

    private double? Number(string key) =>
        Properties.GetValueOrDefault(key) switch
        {
            double d when double.IsFinite(d) => d,
            double => null,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) => v,
            int i => i,
            long l => l,
            float f when float.IsFinite(f) => f,
            decimal m => (double)m,
            _ => null,
        };
}
