namespace RtmpGateway.Transcoding.Ladder;

/// <summary>A ladder preset file is missing, not JSON, or has a missing or invalid field; the message names the file and the field.</summary>
public sealed class LadderPresetException : Exception
{
    public LadderPresetException(string filePath, string? field, string message, Exception? innerException = null)
        : base(field is null ? $"{filePath}: {message}" : $"{filePath}: {field}: {message}", innerException)
    {
        FilePath = filePath;
        Field = field;
    }

    public LadderPresetException()
    {
    }

    public LadderPresetException(string message)
        : base(message)
    {
    }

    public LadderPresetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The preset file.</summary>
    public string FilePath { get; } = "";

    /// <summary>The JSON path of the offending field (e.g. "video[1].height"), or null when the file as a whole is at fault.</summary>
    public string? Field { get; }
}
