using System.Buffers;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Messages;
using RtmpGateway.Rtmp.Session;

namespace RtmpGateway.Rtmp.Tests;

/// <summary>
/// A <see cref="RtmpServerSession"/> fed the way the server's read loop feeds it (chunks through a
/// <see cref="ChunkReader"/>), with a host that records what it is told and answers publish and
/// play at once when <see cref="AcceptAs"/> is set.
/// </summary>
internal sealed class SessionHarness : IRtmpSessionHandler, IDisposable
{
    private readonly ChunkReader _reader = new();
    private readonly ArrayBufferWriter<byte> _output = new();
    private byte[] _pending = [];

    public SessionHarness(RtmpServerSessionOptions? options = null)
    {
        Session = new RtmpServerSession(_reader, _output, this, options ?? new RtmpServerSessionOptions());
    }

    public RtmpServerSession Session { get; }

    /// <summary>The public name to accept publish and play with at once; null leaves them waiting.</summary>
    public string? AcceptAs { get; set; }

    public List<string> Events { get; } = [];

    public List<PublishRequest> Publishes { get; } = [];

    public List<PlayRequest> Plays { get; } = [];

    public List<(RtmpMessageType Type, uint Timestamp, int Length)> Media { get; } = [];

    public List<AmfObject> Metadata { get; } = [];

    public byte[] Output => _output.WrittenSpan.ToArray();

    public void Feed(ReadOnlySpan<byte> data)
    {
        _pending = [.. _pending, .. data];
        var sr = new SequenceReader<byte>(new ReadOnlySequence<byte>(_pending));
        try
        {
            while (_reader.TryReadMessage(ref sr, out RtmpMessage message))
            {
                Session.Handle(message);
            }
        }
        finally
        {
            _pending = _pending[(int)sr.Consumed..];
        }
    }

    public void FeedCapture(string name, int upToMessages = int.MaxValue)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", name));
        var sr = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        int n = 0;
        while (n < upToMessages && _reader.TryReadMessage(ref sr, out RtmpMessage message))
        {
            Session.Handle(message);
            n++;
        }
    }

    /// <summary>The messages the session wrote, read back by a second chunk reader.</summary>
    public List<(RtmpMessage Message, byte[] Payload)> Replies()
    {
        using var reader = new ChunkReader();
        return new ChunkFeeder(reader).Feed(_output.WrittenSpan);
    }

    public void ClearOutput() => _output.ResetWrittenCount();

    public void OnConnected() => Events.Add("connected");

    public void OnPublishRequested(PublishRequest request)
    {
        Events.Add("publish");
        Publishes.Add(request);
        if (AcceptAs is { } name)
        {
            Session.AcceptPublish(request, name);
        }
    }

    public void OnPlayRequested(PlayRequest request)
    {
        Events.Add("play");
        Plays.Add(request);
        if (AcceptAs is { } name)
        {
            Session.AcceptPlay(request, name);
        }
    }

    public void OnMedia(in RtmpMessage message)
    {
        // The host takes the buffer over, as the server's ingest does: it must be the message just read.
        byte[] detached = _reader.DetachPayload(message);
        Assert.True(detached.Length >= message.Payload.Length);
        Media.Add((message.Type, message.Timestamp, message.Payload.Length));
    }

    public void OnMediaPart(in AggregatePart part) => Media.Add((part.Type, part.Timestamp, part.Payload.Length));

    public void OnMetadata(AmfObject properties, uint timestamp) => Metadata.Add(properties);

    public void OnUnpublish() => Events.Add("unpublish");

    public void OnCloseStream() => Events.Add("close");

    public void Dispose() => _reader.Dispose();
}
