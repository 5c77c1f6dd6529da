using System.Globalization;
using System.Xml;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Live;

namespace RtmpGateway.Packaging.Manifests;

/// <summary>
/// The DASH MPD (ISO/IEC 23009-1, DASH-IF IOP live profile) over the same CMAF segments as HLS:
/// SegmentTemplate with SegmentTimeline, one AdaptationSet per media type. Dynamic while live, static
/// once the stream ended.
/// </summary>
public static class DashManifestWriter
{
    private const string Namespace = "urn:mpeg:dash:schema:mpd:2011";

    public static string? Write(StreamOutput stream, PackagingOptions options, DateTimeOffset now, string utcTimingUrl, string uriQuery = "")
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        TrackSnapshot[] videos = [.. stream.Video];
        TrackSnapshot? audio = stream.Audio;
        if ((videos.Length == 0 && audio is null) || stream.MediaTimeZero is not { } zero)
        {
            return null;
        }

        bool live = stream.EndedAt is null;
        bool lowLatency = live && options.LowLatency;
        TrackSnapshot[] all = audio is null ? videos : [.. videos, audio];

        // Each track's listed segments: the playlist window, and with low latency the segment in production.
        Listing[] listings = [.. all.Select(t => new Listing(t, Listed(t, options, lowLatency))).Where(l => l.Segments.Count > 0)];

        // A static MPD starts at the earliest listed media: one offset, in seconds, for every track.
        double offsetSeconds = live ? 0 : listings.Select(l => (double)l.Segments[0].Start / l.Track.Config.Timescale).DefaultIfEmpty(0).Min();

        var settings = new XmlWriterSettings { Indent = true, IndentChars = "  ", Encoding = new System.Text.UTF8Encoding(false), OmitXmlDeclaration = false };
        using var text = new Utf8StringWriter();
        using (XmlWriter xml = XmlWriter.Create(text, settings))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement("MPD", Namespace);
            xml.WriteAttributeString("profiles", "urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019");
            xml.WriteAttributeString("type", live ? "dynamic" : "static");
            xml.WriteAttributeString("minBufferTime", Duration(options.SegmentTarget.TotalSeconds));
            if (live)
            {
                // Media time 0 is the wall clock MediaTimeZero: segment t/timescale seconds after it.
                xml.WriteAttributeString("availabilityStartTime", HlsPlaylistWriter.FormatDate(zero));
                xml.WriteAttributeString("publishTime", HlsPlaylistWriter.FormatDate(now));
                xml.WriteAttributeString("minimumUpdatePeriod", Duration(options.SegmentTarget.TotalSeconds));
                xml.WriteAttributeString("timeShiftBufferDepth", Duration(options.PlaylistSegments * options.SegmentTarget.TotalSeconds));
                xml.WriteAttributeString("suggestedPresentationDelay", Duration(2 * options.SegmentTarget.TotalSeconds));
            }
            else
            {
                double total = listings.Select(l => ((double)(l.Segments[^1].Start + l.Segments[^1].Duration) / l.Track.Config.Timescale) - offsetSeconds)
                    .DefaultIfEmpty(0).Max();
                xml.WriteAttributeString("publishTime", HlsPlaylistWriter.FormatDate(now));
                xml.WriteAttributeString("mediaPresentationDuration", Duration(total));
            }

            if (lowLatency)
            {
                // DASH-IF low-latency modes: the latency a player should aim for, and how it may
                // change its playback rate to get there. The target is the hold-back LL-HLS players
                // get (PART-HOLD-BACK): the same chunks, served the same way.
                double target = Math.Round(HlsPlaylistWriter.HoldBackParts * options.PartTarget.TotalMilliseconds);
                xml.WriteStartElement("ServiceDescription", Namespace);
                xml.WriteAttributeString("id", "0");
                xml.WriteStartElement("Latency", Namespace);
                xml.WriteAttributeString("target", Inv((long)target));
                xml.WriteAttributeString("min", Inv((long)(target / 2)));
                xml.WriteAttributeString("max", Inv((long)(target * 3)));
                xml.WriteEndElement();
                xml.WriteStartElement("PlaybackRate", Namespace);
                xml.WriteAttributeString("min", "0.96");
                xml.WriteAttributeString("max", "1.04");
                xml.WriteEndElement();
                xml.WriteEndElement();
            }

            // One Period per stretch between discontinuities (a reconnect, a new sequence header): each
            // with its own init segments and timeline, as ISO/IEC 23009-1 5.3.2 and DASH-IF IOP 4.3 have
            // encoder restarts and parameter changes signalled.
            long[] periods = [.. listings.SelectMany(l => l.Segments.Select(s => s.DiscontinuitySequence)).Distinct().Order()];
            if (periods.Length == 0)
            {
                periods = [0];
            }

            foreach (long period in periods)
            {
                WritePeriod(xml, stream, options, listings, period, offsetSeconds, lowLatency, uriQuery);
            }

            if (live)
            {
                // DASH-IF IOP 4.7: live clients need a clock source; ours is the gateway's own.
                xml.WriteStartElement("UTCTiming", Namespace);
                xml.WriteAttributeString("schemeIdUri", "urn:mpeg:dash:utc:http-iso:2014");
                xml.WriteAttributeString("value", utcTimingUrl);
                xml.WriteEndElement();
            }

            xml.WriteEndElement(); // MPD
            xml.WriteEndDocument();
        }

        return text.ToString();
    }

    /// <summary>One track and the segments the MPD lists of it.</summary>
    private sealed record Listing(TrackSnapshot Track, IReadOnlyList<CmafSegment> Segments);

    private static void WritePeriod(XmlWriter xml, StreamOutput stream, PackagingOptions options, Listing[] listings, long period, double offsetSeconds, bool lowLatency, string uriQuery)
    {
        (TrackSnapshot Track, CmafSegment[] Segments)[] tracks =
            [.. listings.Select(l => (l.Track, l.Segments.Where(s => s.DiscontinuitySequence == period).ToArray())).Where(x => x.Item2.Length > 0)];

        // Where the period starts, in seconds of media time: where its first segment began when it was
        // made (Period@start must not change between MPD updates, even after that segment left the window).
        double start = period == 0 ? 0
            : stream.FindDiscontinuity(period) is { } d ? d.MediaTime.TotalSeconds
            : tracks.Select(t => (double)t.Segments[0].Start / t.Track.Config.Timescale).DefaultIfEmpty(0).Min();
        start = Math.Max(start, offsetSeconds);

        xml.WriteStartElement("Period", Namespace);
        xml.WriteAttributeString("id", Inv(period));
        xml.WriteAttributeString("start", Duration(start - offsetSeconds));
        int setId = 0;
        (TrackSnapshot Track, CmafSegment[] Segments)[] videos = [.. tracks.Where(t => t.Track.Config.Kind == MediaKind.Video)];
        if (videos.Length > 0)
        {
            StartAdaptationSet(xml, setId++, "video");
            xml.WriteAttributeString("maxWidth", Inv(videos.Max(v => v.Segments[0].Init.Config.Width)));
            xml.WriteAttributeString("maxHeight", Inv(videos.Max(v => v.Segments[0].Init.Config.Height)));
            foreach ((TrackSnapshot video, CmafSegment[] segments) in videos.OrderByDescending(v => v.Segments[0].Init.Config.Height))
            {
                WriteRepresentation(xml, stream, video, segments, options, start, 2_000_000, lowLatency, uriQuery);
            }

            xml.WriteEndElement();
        }

        foreach ((TrackSnapshot audio, CmafSegment[] segments) in tracks.Where(t => t.Track.Config.Kind == MediaKind.Audio))
        {
            StartAdaptationSet(xml, setId++, "audio");
            xml.WriteAttributeString("lang", "und");
            WriteRepresentation(xml, stream, audio, segments, options, start, 128_000, lowLatency, uriQuery);
            xml.WriteEndElement();
        }

        xml.WriteEndElement(); // Period
    }

    /// <summary>The complete segments in the window; with low latency, and while live, the segment in production too, with its expected duration.</summary>
    private static IReadOnlyList<CmafSegment> Listed(TrackSnapshot track, PackagingOptions options, bool lowLatency)
    {
        IReadOnlyList<CmafSegment> all = track.Segments;
        int first = Math.Max(0, all.Count - options.PlaylistSegments);
        IReadOnlyList<CmafSegment> listed = first == 0 ? all : [.. all.Skip(first)];
        if (lowLatency && track.Current is { } current)
        {
            long expected = listed.Count > 0 ? listed[^1].Duration : (long)(options.SegmentTarget.TotalSeconds * track.Config.Timescale);
            listed = [.. listed, new CmafSegment(current.Sequence, current.Start, Math.Max(expected, current.Duration), current.ProgramDateTime, current.Parts, false, current.Independent, current.DiscontinuitySequence, current.Init)];
        }

        return listed;
    }

    /// <summary>An AdaptationSet of CMAF segments that start with a SAP and align across its representations.</summary>
    private static void StartAdaptationSet(XmlWriter xml, int id, string contentType)
    {
        xml.WriteStartElement("AdaptationSet", Namespace);
        xml.WriteAttributeString("id", Inv(id));
        xml.WriteAttributeString("contentType", contentType);
        xml.WriteAttributeString("mimeType", contentType + "/mp4");
        xml.WriteAttributeString("segmentAlignment", "true");
        xml.WriteAttributeString("startWithSAP", "1");
    }

    private static void WriteRepresentation(
        XmlWriter xml, StreamOutput stream, TrackSnapshot track, CmafSegment[] segments, PackagingOptions options, double periodStart, long fallbackBitrate, bool lowLatency, string uriQuery)
    {
        InitSegment init = segments[0].Init;
        CodecConfig c = init.Config;
        (long peak, _) = HlsPlaylistWriter.Bitrates(track, fallbackBitrate);
        xml.WriteStartElement("Representation", Namespace);
        xml.WriteAttributeString("id", track.Rendition);
        xml.WriteAttributeString("codecs", c.CodecString);
        xml.WriteAttributeString("bandwidth", Inv(peak));
        if (c.Kind == MediaKind.Video)
        {
            if (c.Width > 0)
            {
                xml.WriteAttributeString("width", Inv(c.Width));
                xml.WriteAttributeString("height", Inv(c.Height));
            }

            if (c.FrameRate is { } fps)
            {
                xml.WriteAttributeString("frameRate", FrameRate(fps));
            }
        }
        else
        {
            xml.WriteAttributeString("audioSamplingRate", Inv(c.SampleRate));
            xml.WriteStartElement("AudioChannelConfiguration", Namespace);
            xml.WriteAttributeString("schemeIdUri", "urn:mpeg:dash:23003:3:audio_channel_configuration:2011");
            xml.WriteAttributeString("value", Inv(Math.Max(1, c.Channels)));
            xml.WriteEndElement();
        }

        xml.WriteStartElement("SegmentTemplate", Namespace);
        xml.WriteAttributeString("timescale", Inv(c.Timescale));
        xml.WriteAttributeString("initialization", track.Rendition + "/" + init.Name + uriQuery);
        xml.WriteAttributeString("media", CmafNames.SegmentTemplate(stream.Session) + uriQuery);
        xml.WriteAttributeString("startNumber", Inv(segments[0].Sequence));

        // The media time at the period's start: presentation time = Period@start + (t - offset) / timescale.
        xml.WriteAttributeString("presentationTimeOffset", Inv((long)Math.Round(periodStart * c.Timescale)));
        if (lowLatency)
        {
            // The segment in production is listed with its expected duration and may be fetched
            // once its first chunk could exist: availabilityTimeOffset = segment - chunk duration;
            // the server sends it with chunked transfer encoding as its chunks appear.
            xml.WriteAttributeString("availabilityTimeOffset", Math.Round(options.SegmentTarget.TotalSeconds - options.PartTarget.TotalSeconds, 3).ToString("0.###", CultureInfo.InvariantCulture));
            xml.WriteAttributeString("availabilityTimeComplete", "false");
        }

        xml.WriteStartElement("SegmentTimeline", Namespace);
        WriteTimeline(xml, segments);
        xml.WriteEndElement();
        xml.WriteEndElement();
        xml.WriteEndElement();
    }

    /// <summary>S elements: t on the first and after any gap, runs of equal durations folded into r.</summary>
    private static void WriteTimeline(XmlWriter xml, CmafSegment[] segments)
    {
        int i = 0;
        long expected = long.MinValue;
        while (i < segments.Length)
        {
            CmafSegment s = segments[i];
            int run = 0;
            while (i + run + 1 < segments.Length
                && segments[i + run + 1].Duration == s.Duration
                && segments[i + run + 1].Start == segments[i + run].Start + s.Duration)
            {
                run++;
            }

            xml.WriteStartElement("S", Namespace);
            if (s.Start != expected)
            {
                xml.WriteAttributeString("t", Inv(s.Start));
            }

            xml.WriteAttributeString("d", Inv(s.Duration));
            if (run > 0)
            {
                xml.WriteAttributeString("r", Inv(run));
            }

            xml.WriteEndElement();
            expected = segments[i + run].Start + s.Duration;
            i += run + 1;
        }
    }

    private static string FrameRate(double fps)
    {
        // 29.97 and friends as NTSC fractions, everything else as a whole number when it is one.
        foreach (int nominal in (ReadOnlySpan<int>)[24, 30, 60, 120])
        {
            if (Math.Abs(fps - (nominal * 1000.0 / 1001)) < 0.005)
            {
                return Inv(nominal * 1000) + "/1001";
            }
        }

        return Math.Abs(fps - Math.Round(fps)) < 0.001 ? Inv((long)Math.Round(fps)) : fps.ToString("0.###", CultureInfo.InvariantCulture);
    }

    /// <summary>xs:duration in seconds with millisecond precision: PT2S, PT0.5S, PT12.345S.</summary>
    public static string Duration(double seconds) => "PT" + Math.Round(seconds, 3).ToString("0.###", CultureInfo.InvariantCulture) + "S";

    private static string Inv(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class Utf8StringWriter : StringWriter
    {
        public Utf8StringWriter()
            : base(CultureInfo.InvariantCulture)
        {
        }

        public override System.Text.Encoding Encoding => new System.Text.UTF8Encoding(false);
    }
}
