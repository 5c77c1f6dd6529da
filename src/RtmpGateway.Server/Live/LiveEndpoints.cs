using System.Globalization;
using System.IO.Pipelines;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using RtmpGateway.Packaging.Cmaf;
using RtmpGateway.Packaging.Live;
using RtmpGateway.Packaging.Manifests;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.Server.Live;

/// <summary>
/// HLS and DASH over HTTP, served from memory. Routes map to a stream's output by app, public
/// name and rendition, never to a file path: only names the packager made are answered.
/// </summary>
internal static class LiveEndpoints
{
    public const string CorsPolicy = "media";
    private const string PlaylistType = "application/vnd.apple.mpegurl";
    private const string MpdType = "application/dash+xml";
    private const string InitType = "video/mp4";
    private const string SegmentType = "video/iso.segment";
    private const string Immutable = "public, max-age=31536000, immutable";

    /// <summary>The styp every segment starts with, as a buffer the response can write without a copy.</summary>
    private static readonly byte[] Styp = CmafFragment.SegmentTypeBox.ToArray();

    /// <summary>The playlists' Cache-Control for the common max-ages, made once.</summary>
    private static readonly string[] PlaylistMaxAges = [.. Enumerable.Range(0, 11).Select(s => "public, max-age=" + s.ToString(CultureInfo.InvariantCulture))];

    public static void MapLiveEndpoints(this WebApplication app)
    {
        // The handlers' services, resolved once here rather than per request: a request then needs no
        // DI scope of its own (these are singletons), which is most of a small response's cost.
        var live = new Services(
            app.Services.GetRequiredService<PackagingService>(),
            app.Services.GetRequiredService<StreamAuthorizer>(),
            app.Services.GetRequiredService<IOptions<AuthOptions>>().Value,
            app.Services.GetRequiredService<IOptions<HttpOptions>>().Value,
            app.Services.GetRequiredService<ParkedRequests>(),
            app.Services.GetRequiredService<TimeProvider>());
        string[] getHead = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods("/{app}/{name}/index.m3u8", getHead, (string app, string name, HttpContext context) => Multivariant(app, name, live, context))
            .RequireCors(CorsPolicy).WithMetadata(HttpLimits.MediaRateLimited);
        app.MapMethods("/{app}/{name}/manifest.mpd", getHead, (string app, string name, HttpContext context) => Mpd(app, name, live, context))
            .RequireCors(CorsPolicy).WithMetadata(HttpLimits.MediaRateLimited);
        app.MapMethods("/{app}/{name}/{rendition}/index.m3u8", getHead, (string app, string name, string rendition, HttpContext context) => MediaPlaylist(app, name, rendition, live, context))
            .RequireCors(CorsPolicy).WithMetadata(HttpLimits.MediaRateLimited);
        app.MapMethods("/{app}/{name}/{rendition}/{file}", getHead, (string app, string name, string rendition, string file, HttpContext context) => MediaFile(app, name, rendition, file, live, context))
            .RequireCors(CorsPolicy).WithMetadata(HttpLimits.MediaRateLimited);
        app.MapGet("/api/time", () => Results.Text(HlsPlaylistWriter.FormatDate(live.Time.GetUtcNow()), "text/plain"));
    }

    /// <summary>What the handlers use, all singletons.</summary>
    private sealed record Services(PackagingService Packaging, StreamAuthorizer Auth, AuthOptions AuthOptions, HttpOptions Http, ParkedRequests Parked, TimeProvider Time);

    private static async Task<IResult> Multivariant(string app, string name, Services live, HttpContext context)
    {
        if (CheckPlayback(app, name, live.Auth, live.AuthOptions, context, out string uriQuery) is { } refused)
        {
            return refused;
        }

        if (live.Packaging.Find(app, name) is not { } output)
        {
            return NotFound(context);
        }

        await WaitAsync(output, () => HlsPlaylistWriter.Multivariant(output) is not null, live.Http.FirstSegmentWait, live.Time, context.RequestAborted).ConfigureAwait(false);
        string? text = HlsPlaylistWriter.Multivariant(output, uriQuery);
        return text is null ? NotFound(context) : Text(context, text, PlaylistType, live.Http);
    }

    private static async Task<IResult> MediaPlaylist(string app, string name, string rendition, Services live, HttpContext context)
    {
        if (CheckPlayback(app, name, live.Auth, live.AuthOptions, context, out string uriQuery) is { } refused)
        {
            return refused;
        }

        if (live.Packaging.Find(app, name) is not { } output || output.Find(rendition) is not { } track)
        {
            return NotFound(context);
        }

        // The LL-HLS rules (§6.2.5.2) are the packager's: here only routing, holding and writing.
        PackagingOptions options = live.Packaging.Options;
        IQueryCollection query = context.Request.Query;
        PlaylistDecision decision = BlockingPlaylistReload.Decide(track, First(query["_HLS_msn"]), First(query["_HLS_part"]), First(query["_HLS_skip"]), options);
        switch (decision.Action)
        {
            case PlaylistAction.BadRequest:
                return Results.BadRequest(decision.Problem);
            case PlaylistAction.AwaitFirstSegment:
                // A player that asks before the first segment exists waits for it rather than reading an empty playlist.
                await WaitAsync(output, () => BlockingPlaylistReload.Recheck(output.Find(rendition), decision, TimeSpan.Zero).Action == PlaylistAction.Serve, live.Http.FirstSegmentWait, live.Time, context.RequestAborted).ConfigureAwait(false);
                break;
            case PlaylistAction.Block:
                PlaylistDecision blocked = decision;
                if (await ParkAsync(live, output, held => BlockingPlaylistReload.Recheck(output.Find(rendition), blocked, held), d => d.Action == PlaylistAction.Block ? d.Remaining : null, context.RequestAborted).ConfigureAwait(false) is not { } final)
                {
                    return TooManyParked(context);
                }

                if (final.Action == PlaylistAction.ServiceUnavailable)
                {
                    // Not there within three target durations: tell the client to try again.
                    return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
                }

                decision = final;
                break;
        }

        byte[] playlist = HlsPlaylistWriter.MediaUtf8(output, rendition, options, decision.Skip, uriQuery)!;
        await SendAsync(context, playlist, PlaylistType, PlaylistCacheControl(live.Http)).ConfigureAwait(false);
        return Results.Empty;
    }

    /// <summary>A query parameter's first value, null when absent.</summary>
    private static string? First(StringValues values) => values.Count > 0 ? values[0] : null;

    private static async Task<IResult> Mpd(string app, string name, Services live, HttpContext context)
    {
        if (CheckPlayback(app, name, live.Auth, live.AuthOptions, context, out string uriQuery) is { } refused)
        {
            return refused;
        }

        if (live.Packaging.Find(app, name) is not { } output)
        {
            return NotFound(context);
        }

        await WaitAsync(output, () => output.Tracks.Any(t => t.Snapshot.Segments.Count > 0) || output.EndedAt is not null, live.Http.FirstSegmentWait, live.Time, context.RequestAborted).ConfigureAwait(false);
        HttpRequest request = context.Request;
        string timeUrl = $"{request.Scheme}://{request.Host}{request.PathBase}/api/time";
        string? text = DashManifestWriter.Write(output, live.Packaging.Options, live.Time.GetUtcNow(), timeUrl, uriQuery);
        return text is null ? NotFound(context) : Text(context, text, MpdType, live.Http);
    }

    private static async Task<IResult> MediaFile(string app, string name, string rendition, string file, Services live, HttpContext context)
    {
        if (CheckPlayback(app, name, live.Auth, live.AuthOptions, context, out _) is { } refused)
        {
            return refused;
        }

        if (live.Packaging.Find(app, name) is not { } output || output.Find(rendition) is not { } track)
        {
            return NotFound(context);
        }

        if (CmafNames.TryParsePart(file, output.Session, out long partSequence, out int partIndex))
        {
            // §6.2.6 (the packager's rules): a part that exists is served, the preload-hinted one is held until it is complete.
            PartDecision part = PreloadHint.Decide(track, partSequence, partIndex);
            if (part.Action == PartAction.Wait)
            {
                PartDecision waiting = part;
                if (await ParkAsync(live, output, held => PreloadHint.Recheck(output.Find(rendition), waiting, held), d => d.Action == PartAction.Wait ? d.Remaining : null, context.RequestAborted).ConfigureAwait(false) is not { } final)
                {
                    return TooManyParked(context);
                }

                part = final;
            }

            if (part is { Action: PartAction.Serve, Part: { } found })
            {
                await SendAsync(context, found.Bytes, SegmentType, Immutable).ConfigureAwait(false);
                return Results.Empty;
            }

            return NotFound(context);
        }

        if (track.FindInit(file) is { } init)
        {
            // The current init segment, or an older one that segments still in the window decode with.
            await SendAsync(context, init.Bytes, InitType, Immutable).ConfigureAwait(false);
            return Results.Empty;
        }

        if (CmafNames.TryParseSegment(file, output.Session, out long sequence))
        {
            if (track.FindSegment(sequence) is { IsComplete: true } segment)
            {
                // styp and the parts in the segment's one immutable buffer: one write, no copy of ours.
                await SendAsync(context, segment.Body, SegmentType, Immutable).ConfigureAwait(false);
                return Results.Empty;
            }

            (long lastMsn, _) = track.LastPart();
            if (!track.Ended && (track.Current?.Sequence == sequence || sequence == lastMsn + 1))
            {
                await StreamGrowingSegmentAsync(context, output, rendition, sequence, TimeSpan.FromSeconds(3 * track.TargetDurationSeconds)).ConfigureAwait(false);
                return Results.Empty;
            }
        }

        return NotFound(context);
    }

    /// <summary>
    /// Low-latency DASH: the segment in production, sent with chunked transfer encoding chunk by
    /// chunk as the packager makes them; the bytes are those of the finished segment.
    /// </summary>
    private static async Task StreamGrowingSegmentAsync(HttpContext context, StreamOutput output, string rendition, long sequence, TimeSpan stallLimit)
    {
        HttpResponse response = context.Response;
        response.ContentType = SegmentType;
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        await response.Body.WriteAsync(Styp, context.RequestAborted).ConfigureAwait(false);
        int sent = 0;
        while (true)
        {
            Task next = output.Changed.NextChange;
            TrackSnapshot? track = output.Find(rendition);
            CmafSegment? segment = track?.FindSegment(sequence);
            if (segment is not null)
            {
                for (; sent < segment.Parts.Count; sent++)
                {
                    await response.Body.WriteAsync(segment.Parts[sent].Bytes, context.RequestAborted).ConfigureAwait(false);
                }

                await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                if (segment.IsComplete)
                {
                    return;
                }
            }
            else if (track is null || track.Ended || (track.Segments.Count > 0 && track.Segments[^1].Sequence >= sequence))
            {
                // Gone, ended, or cut without this segment: end the response where it is.
                return;
            }

            try
            {
                await next.WaitAsync(stallLimit, context.RequestAborted).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The publisher stalled: end the response with the chunks sent so far.
                return;
            }
        }
    }

    /// <summary>
    /// Playback auth for apps that ask for it: a signed "play" token for the stream on every
    /// playlist, MPD, init, segment and part request; 403 when missing or wrong, 410 when expired.
    /// <paramref name="uriQuery"/> carries the token into the URLs the playlist or MPD references.
    /// </summary>
    private static IResult? CheckPlayback(string app, string name, StreamAuthorizer auth, AuthOptions options, HttpContext context, out string uriQuery)
    {
        uriQuery = "";
        if (!options.PlaybackNeedsToken(app))
        {
            return null;
        }

        string? token = context.Request.Query["token"];
        string? expires = context.Request.Query["expires"];
        context.Response.Headers.CacheControl = "no-store";
        switch (auth.CheckPlayback(app, name, token, expires))
        {
            case TokenCheck.Valid:
                // Base64url and digits: nothing to escape.
                uriQuery = $"?expires={expires}&token={token}";
                return null;
            case TokenCheck.Expired:
                return Results.StatusCode(StatusCodes.Status410Gone);
            default:
                return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
    }

    /// <summary>Waits for a change that makes <paramref name="ready"/> true; false when the limit passed first.</summary>
    private static Task<bool> WaitAsync(StreamOutput output, Func<bool> ready, TimeSpan limit, TimeProvider time, CancellationToken aborted) =>
        ready()
            ? Task.FromResult(true)
            : HoldAsync<bool>(output, time, held => ready() ? (true, null) : (false, held >= limit ? null : limit - held), aborted);

    /// <summary>
    /// Asks <paramref name="decide"/> (given how long the request has been held so far, by
    /// <paramref name="time"/>) at once and after every change of the output, until it no longer
    /// names a time to wait; returns that last decision.
    /// </summary>
    private static async Task<T> HoldAsync<T>(StreamOutput output, TimeProvider time, Func<TimeSpan, (T Decision, TimeSpan? Wait)> decide, CancellationToken aborted)
    {
        long start = time.GetTimestamp();
        while (true)
        {
            // Take the signal's task before deciding, so a change in between is not missed.
            Task next = output.Changed.NextChange;
            (T decision, TimeSpan? wait) = decide(time.GetElapsedTime(start));
            if (wait is not { } remaining)
            {
                return decision;
            }

            try
            {
                await next.WaitAsync(remaining, time, aborted).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Decide again: the rule says when the time is up.
            }
        }
    }

    /// <summary>
    /// <see cref="HoldAsync"/> a request a rule said to wait, holding one of the
    /// <see cref="ParkedRequests"/> slots while it waits; null, without waiting, when every slot is
    /// taken. <paramref name="remaining"/> is the time a decision still waits for, null when final.
    /// </summary>
    private static async Task<T?> ParkAsync<T>(Services live, StreamOutput output, Func<TimeSpan, T> recheck, Func<T, TimeSpan?> remaining, CancellationToken aborted)
        where T : class
    {
        if (!live.Parked.TryEnter())
        {
            return null;
        }

        try
        {
            return await HoldAsync(output, live.Time, held =>
            {
                T decision = recheck(held);
                return (decision, remaining(decision));
            }, aborted).ConfigureAwait(false);
        }
        finally
        {
            live.Parked.Exit();
        }
    }

    /// <summary>Http:MaxParkedRequests are held: 503 at once, to try again in a second.</summary>
    private static IResult TooManyParked(HttpContext context)
    {
        context.Response.Headers[HeaderNames.CacheControl] = "no-cache";
        context.Response.Headers[HeaderNames.RetryAfter] = "1";
        return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
    }

    private static IResult Text(HttpContext context, string text, string contentType, HttpOptions http)
    {
        context.Response.Headers.CacheControl = PlaylistCacheControl(http);
        return Results.Text(text, contentType);
    }

    private static string PlaylistCacheControl(HttpOptions http)
    {
        int seconds = (int)http.PlaylistMaxAge.TotalSeconds;
        return seconds < PlaylistMaxAges.Length ? PlaylistMaxAges[seconds] : "public, max-age=" + seconds.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A body from memory with its length (HEAD gets the headers alone). Small ones (playlists) are
    /// written as they are. A large one (a segment, a part) goes after the headers into buffers of its
    /// own size, up to <see cref="LargeWrite"/> at a time: Kestrel copies a plain write into 4 KB
    /// blocks of its pool one by one, which cost more than the copy itself (bench/run.sh peers,
    /// scenario 4: about 0.6x the CPU per segment served).
    /// </summary>
    private static Task SendAsync(HttpContext context, ReadOnlyMemory<byte> body, string contentType, string cacheControl)
    {
        HttpResponse response = context.Response;
        response.ContentType = contentType;
        response.Headers.CacheControl = cacheControl;
        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Task.CompletedTask;
        }

        return body.Length <= SmallWrite
            ? response.BodyWriter.WriteAsync(body, context.RequestAborted).AsTask()
            : SendLargeAsync(response, body, context.RequestAborted);
    }

    private const int SmallWrite = 16 * 1024;
    private const int LargeWrite = 1024 * 1024;

    private static async Task SendLargeAsync(HttpResponse response, ReadOnlyMemory<byte> body, CancellationToken aborted)
    {
        await response.StartAsync(aborted).ConfigureAwait(false);
        PipeWriter writer = response.BodyWriter;
        while (!body.IsEmpty)
        {
            int length = Math.Min(body.Length, LargeWrite);
            body.Span[..length].CopyTo(writer.GetSpan(length));
            writer.Advance(length);
            body = body[length..];
            FlushResult flushed = await writer.FlushAsync(aborted).ConfigureAwait(false);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                return;
            }
        }
    }

    private static IResult NotFound(HttpContext context)
    {
        context.Response.Headers[HeaderNames.CacheControl] = "no-cache";
        return Results.NotFound();
    }
}
