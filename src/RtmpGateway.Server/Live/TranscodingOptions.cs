namespace RtmpGateway.Server.Live;

/// <summary>Which ABR ladder preset each stream gets (configuration section "Transcoding").</summary>
public sealed class TranscodingOptions
{
    public const string SectionName = "Transcoding";

    /// <summary>Preset for every stream not named below: "default" is the source plus 720p/480p/360p; "passthrough" transcodes nothing.</summary>
    public string Preset { get; set; } = "default";

    /// <summary>Folder of preset JSON files; empty means the ffmpeg-config folder shipped next to the gateway.</summary>
    public string PresetDirectory { get; set; } = "";

    /// <summary>Preset per RTMP app, e.g. "Transcoding:Apps:studio": "passthrough".</summary>
    public Dictionary<string, string> Apps { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Preset per stream "app/name" (':' in configuration keys: "Transcoding:Streams:live/main" is not possible, so "live.main" is accepted too).</summary>
    public Dictionary<string, string> Streams { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The preset name for one stream: per stream, else per app, else the default.</summary>
    public string PresetFor(string app, string name)
        => Streams.TryGetValue(app + "/" + name, out string? s) || Streams.TryGetValue(app + "." + name, out s) ? s
            : Apps.TryGetValue(app, out string? a) ? a
            : Preset;

    /// <summary>The folder presets are read from.</summary>
    public string ResolveDirectory()
    {
        if (!string.IsNullOrEmpty(PresetDirectory))
        {
            return PresetDirectory;
        }

        string shipped = Path.Combine(AppContext.BaseDirectory, "ffmpeg-config");
        return Directory.Exists(shipped) ? shipped : Path.Combine(Directory.GetCurrentDirectory(), "ffmpeg-config");
    }
}
