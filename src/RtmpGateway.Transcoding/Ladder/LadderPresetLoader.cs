using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RtmpGateway.Transcoding.Ladder;

/// <summary>
/// Loads <c>{directory}/{name}.json</c>. The schema:
/// <code>
/// {
///   "name": "default", "description": "...",
///   "video": [
///     { "name": "source", "passthrough": true },
///     { "name": "720p", "width": 1280, "height": 720, "bitrateKbps": 2800, "maxrateKbps": 2996,
///       "bufsizeKbits": 4200, "preset": "veryfast", "profile": "high", "level": "3.1", "tune": null }
///   ],
///   "audio": { "passthrough": true }
/// }
/// </code>
/// Unknown fields are errors (a typo must not silently fall back to a default); comments and trailing
/// commas are allowed. Every error is a <see cref="LadderPresetException"/> naming the file and field.
/// </summary>
public static class LadderPresetLoader
{
    /// <summary>Loads the preset <paramref name="name"/> (the file name without ".json") from <paramref name="directory"/>.</summary>
    public static LadderPreset Load(string directory, string name)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(name);
        // A name, not a path: the configuration value must not reach outside the preset folder.
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || name.StartsWith('.'))
        {
            throw new LadderPresetException(Path.Combine(directory, name + ".json"), null, $"'{name}' is not a preset name (letters, digits, '-', '_', '.')");
        }

        string path = Path.Combine(directory, name + ".json");
        if (!File.Exists(path))
        {
            throw new LadderPresetException(path, null, "no such preset file");
        }

        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses preset JSON; <paramref name="filePath"/> is only used in messages.</summary>
    public static LadderPreset Parse(ReadOnlySpan<byte> json, string filePath)
    {
        PresetDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, LadderPresetJsonContext.Default.PresetDocument);
        }
        catch (JsonException e)
        {
            // e.Path is the JSON path ("$.video[1].height"); the message has line and byte position.
            throw new LadderPresetException(filePath, e.Path is null ? null : TrimRoot(e.Path), e.Message, e);
        }

        if (document is null)
        {
            throw new LadderPresetException(filePath, null, "the file holds null, not a preset object");
        }

        string presetName = Required(document.Name, filePath, "name");
        if (document.Video is null || document.Video.Count == 0)
        {
            throw new LadderPresetException(filePath, "video", "missing or empty: list the source rung and/or transcoded rungs");
        }

        if (document.Audio is not { Passthrough: true })
        {
            throw new LadderPresetException(filePath, "audio.passthrough", "must be true: audio is passed through, never transcoded");
        }

        bool includeSource = false;
        var rungs = new List<LadderRung>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < document.Video.Count; i++)
        {
            RungDocument r = document.Video[i] ?? throw new LadderPresetException(filePath, Field(i, "", null), "null rung");
            string rungName = Required(r.Name, filePath, Field(i, "name", null));
            if (!names.Add(rungName))
            {
                throw new LadderPresetException(filePath, Field(i, "name", rungName), "duplicate rung name");
            }

            if (r.Passthrough == true)
            {
                if (r.Width is not null || r.Height is not null || r.BitrateKbps is not null)
                {
                    throw new LadderPresetException(filePath, Field(i, "passthrough", rungName), "a passthrough rung has no size or bit rate");
                }

                includeSource = true;
                continue;
            }

            int width = RequiredSize(r.Width, filePath, Field(i, "width", rungName));
            int height = RequiredSize(r.Height, filePath, Field(i, "height", rungName));
            long bitrate = RequiredPositive(r.BitrateKbps, filePath, Field(i, "bitrateKbps", rungName));
            long maxrate = r.MaxrateKbps is null ? bitrate : RequiredPositive(r.MaxrateKbps, filePath, Field(i, "maxrateKbps", rungName));
            if (maxrate < bitrate)
            {
                throw new LadderPresetException(filePath, Field(i, "maxrateKbps", rungName), $"{maxrate} is below bitrateKbps {bitrate}");
            }

            // Default VBV buffer 1.5 s of the peak rate: the preset's usual choice, loose enough for x264 on 2 s GOPs.
            long bufsize = r.BufsizeKbits is null ? maxrate * 3 / 2 : RequiredPositive(r.BufsizeKbits, filePath, Field(i, "bufsizeKbits", rungName));
            string preset = Required(r.Preset, filePath, Field(i, "preset", rungName));
            string profile = Required(r.Profile, filePath, Field(i, "profile", rungName));
            if (r.Level is not null && !H264Level.IsKnown(r.Level))
            {
                throw new LadderPresetException(filePath, Field(i, "level", rungName), $"'{r.Level}' is not an H.264 level (1 .. 5.2, e.g. \"3.1\")");
            }

            rungs.Add(new LadderRung(rungName, width, height, bitrate * 1000, maxrate * 1000, bufsize * 1000, preset, profile, r.Level, r.Tune));
        }

        // Largest first: RungsFor and the cascade of scalers (each rung scaled from the next larger) rely on it.
        rungs.Sort((a, b) => Math.Min(b.Width, b.Height).CompareTo(Math.Min(a.Width, a.Height)));
        return new LadderPreset(presetName, document.Description, includeSource, rungs);
    }

    private static string Field(int index, string field, string? rungName)
    {
        string at = rungName is null ? $"video[{index}]" : $"video[{index}] (\"{rungName}\")";
        return field.Length == 0 ? at : $"{at}.{field}";
    }

    private static string TrimRoot(string jsonPath) => jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath;

    private static string Required(string? value, string filePath, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw new LadderPresetException(filePath, field, "missing (required)") : value;

    private static int RequiredSize(int? value, string filePath, string field) => value switch
    {
        null => throw new LadderPresetException(filePath, field, "missing (required)"),
        < 2 or > 8192 => throw new LadderPresetException(filePath, field, string.Create(CultureInfo.InvariantCulture, $"{value}: must be 2 .. 8192 pixels")),
        _ when value % 2 != 0 => throw new LadderPresetException(filePath, field, string.Create(CultureInfo.InvariantCulture, $"{value}: must be even (YUV 4:2:0)")),
        _ => value.Value,
    };

    private static long RequiredPositive(int? value, string filePath, string field) => value switch
    {
        null => throw new LadderPresetException(filePath, field, "missing (required)"),
        <= 0 => throw new LadderPresetException(filePath, field, string.Create(CultureInfo.InvariantCulture, $"{value}: must be positive")),
        _ => value.Value,
    };
}

internal sealed class PresetDocument
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    public List<RungDocument?>? Video { get; set; }

    public AudioDocument? Audio { get; set; }
}

internal sealed class RungDocument
{
    public string? Name { get; set; }

    public bool? Passthrough { get; set; }

    public int? Width { get; set; }

    public int? Height { get; set; }

    public int? BitrateKbps { get; set; }

    public int? MaxrateKbps { get; set; }

    public int? BufsizeKbits { get; set; }

    public string? Preset { get; set; }

    public string? Profile { get; set; }

    public string? Level { get; set; }

    public string? Tune { get; set; }
}

internal sealed class AudioDocument
{
    public bool? Passthrough { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(PresetDocument))]
internal sealed partial class LadderPresetJsonContext : JsonSerializerContext;
