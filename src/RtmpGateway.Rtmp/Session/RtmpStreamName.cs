namespace RtmpGateway.Rtmp.Session;

/// <summary>The gateway's rules for the app and stream names a client sends.</summary>
public static class RtmpStreamName
{
    /// <summary>The longest requested name ("name?query") a publish or play may carry.</summary>
    public const int MaxRequestedLength = 1024;

    /// <summary>The app part of connect's "app" ("live", "live/", "live?query"): no query, no slashes at the ends.</summary>
    public static string AppName(string? app)
    {
        string name = StripQuery(app ?? "").Trim('/');
        return name.Length == 0 ? "live" : name;
    }

    /// <summary>What comes before the first '?'.</summary>
    public static string StripQuery(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int q = value.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? value : value[..q];
    }

    /// <summary>Stream names become URL path segments later: letters, digits, '-', '_', '.' only.</summary>
    public static bool IsValid(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Length is > 0 and <= 128 && name != "." && name != ".."
               && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
    }
}
