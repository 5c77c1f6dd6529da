using System.Buffers;
using System.Net;
using System.Net.Sockets;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A bare RTMP client for driving the server into the corners real encoders do not reach: it can
/// send any bytes at any point. Its well-formed messages use the project's chunk writer and AMF0
/// encoder, which are pinned by their own golden tests.
/// </summary>
public sealed class RawRtmpClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly ChunkWriter _writer = new();
    private readonly ChunkReader _reader = new();
    private byte[] _pending = [];

    private RawRtmpClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>TCP connect; <paramref name="localAddress"/> picks the source address (any of 127.0.0.0/8 works on loopback).</summary>
    public static async Task<RawRtmpClient> ConnectTcpAsync(IPEndPoint endPoint, int receiveBufferSize = 0, IPAddress? localAddress = null)
    {
        var tcp = localAddress is null ? new TcpClient() : new TcpClient(new IPEndPoint(localAddress, 0));
        if (receiveBufferSize > 0)
        {
            tcp.ReceiveBufferSize = receiveBufferSize;
        }

        await tcp.ConnectAsync(endPoint);
        return new RawRtmpClient(tcp);
    }

    /// <summary>TCP connect and the simple handshake; <paramref name="afterC2"/> goes out in the same write as C2.</summary>
    public static async Task<RawRtmpClient> HandshakeAsync(IPEndPoint endPoint, int receiveBufferSize = 0, byte[]? afterC2 = null, IPAddress? localAddress = null)
    {
        RawRtmpClient client = await ConnectTcpAsync(endPoint, receiveBufferSize, localAddress);
        byte[] c0c1 = new byte[1537];
        c0c1[0] = 3;
        Random.Shared.NextBytes(c0c1.AsSpan(9));
        await client.SendRawAsync(c0c1);
        byte[] s0s1s2 = await client.ReceiveExactlyAsync(1 + 1536 + 1536);
        Assert.Equal(3, s0s1s2[0]);
        Assert.Equal(c0c1[1..], s0s1s2[1537..]);
        await client.SendRawAsync((byte[])[.. s0s1s2.AsSpan(1, 1536), .. afterC2 ?? []]); // C2 echoes S1
        return client;
    }

    /// <summary>The chunk bytes of a connect command to an app.</summary>
    public static byte[] ConnectCommandBytes(string app)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new ChunkWriter().Write(buffer, 3, RtmpMessageType.CommandAmf0, 0, 0, CommandWriter.Command("connect", 1, new AmfObject { { "app", app }, { "tcUrl", $"rtmp://127.0.0.1/{app}" } }));
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Handshake, connect to the app and wait for NetConnection.Connect.Success.</summary>
    public static async Task<RawRtmpClient> ConnectAsync(IPEndPoint endPoint, string app = "live", int receiveBufferSize = 0)
    {
        RawRtmpClient client = await HandshakeAsync(endPoint, receiveBufferSize);
        await client.SendCommandAsync(0, "connect", 1, new AmfObject { { "app", app }, { "tcUrl", $"rtmp://127.0.0.1/{app}" }, { "flashVer", "FMLE/3.0 (raw test client)" } });
        CommandMessage result = await client.WaitForCommandAsync("_result");
        Assert.Equal(NetStatus.ConnectSuccess, ((AmfObject)result.Arguments[0]!).GetString("code"));
        return client;
    }

    /// <summary>createStream then publish; returns the onStatus code the server answered with.</summary>
    public async Task<string?> PublishAsync(string name)
    {
        await SendCommandAsync(0, "createStream", 2, null);
        CommandMessage created = await WaitForCommandAsync("_result");
        uint streamId = (uint)(double)created.Arguments[0]!;
        StreamId = streamId;
        await SendCommandAsync(streamId, "publish", 0, null, name, "live");
        CommandMessage status = await WaitForCommandAsync("onStatus");
        return ((AmfObject)status.Arguments[0]!).GetString("code");
    }

    public uint StreamId { get; private set; }

    /// <summary>createStream then play; returns the first onStatus code.</summary>
    public async Task<string?> PlayAsync(string name)
    {
        await SendCommandAsync(0, "createStream", 2, null);
        CommandMessage created = await WaitForCommandAsync("_result");
        StreamId = (uint)(double)created.Arguments[0]!;
        await SendCommandAsync(StreamId, "play", 0, null, name, -2.0);
        CommandMessage status = await WaitForCommandAsync("onStatus");
        return ((AmfObject)status.Arguments[0]!).GetString("code");
    }

    /// <summary>
    /// Reads until at least <paramref name="count"/> audio and video messages have arrived and returns
    /// them in arrival order. Data messages (|RtmpSampleAccess, onMetaData) are skipped: how many
    /// arrive in one read depends on timing, so they must not count towards <paramref name="count"/>.
    /// </summary>
    public async Task<List<RtmpMessage>> ReadMediaAsync(int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var media = new List<RtmpMessage>(_early);
        _early.Clear();
        media.AddRange(_received.Where(IsAudioOrVideo));
        _received.Clear();
        while (media.Count < count)
        {
            media.AddRange((await ReadMessagesAsync(cts.Token)).Where(IsAudioOrVideo));
        }

        return media;
    }

    private static bool IsAudioOrVideo(RtmpMessage m) => m.Type is RtmpMessageType.Audio or RtmpMessageType.Video;

    private readonly List<RtmpMessage> _early = [];

    public Task SendCommandAsync(uint streamId, string name, double txn, AmfObject? commandObject, params object?[] args)
        => SendMessageAsync(3, RtmpMessageType.CommandAmf0, streamId, 0, CommandWriter.Command(name, txn, commandObject, args));

    public async Task SendMessageAsync(int csid, RtmpMessageType type, uint streamId, uint timestamp, byte[] payload)
    {
        var buffer = new ArrayBufferWriter<byte>();
        _writer.Write(buffer, csid, type, streamId, timestamp, payload);
        await SendRawAsync(buffer.WrittenMemory);
    }

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public async Task<byte[]> ReceiveExactlyAsync(int count)
    {
        byte[] buffer = new byte[count];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _stream.ReadExactlyAsync(buffer, cts.Token);
        return buffer;
    }

    /// <summary>Reads messages until a command with that name arrives; media read on the way is kept for <see cref="ReadMediaAsync"/>.</summary>
    public async Task<CommandMessage> WaitForCommandAsync(string name)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            while (_received.TryDequeue(out RtmpMessage m))
            {
                if (IsAudioOrVideo(m))
                {
                    _early.Add(m);
                }
                else if (m.Type == RtmpMessageType.CommandAmf0)
                {
                    var command = CommandMessage.FromValues(Amf0.ReadAll(m.Payload.Span));
                    if (command.Name == name)
                    {
                        return command;
                    }
                }
            }

            foreach (RtmpMessage m in await ReadMessagesAsync(cts.Token))
            {
                _received.Enqueue(m);
            }
        }
    }

    private readonly Queue<RtmpMessage> _received = new();

    /// <summary>Reads messages until one matches (messages skipped on the way are dropped).</summary>
    public async Task<RtmpMessage> WaitForMessageAsync(Func<RtmpMessage, bool> predicate)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            while (_received.TryDequeue(out RtmpMessage m))
            {
                if (predicate(m))
                {
                    return m;
                }
            }

            foreach (RtmpMessage m in await ReadMessagesAsync(cts.Token))
            {
                _received.Enqueue(m);
            }
        }
    }

    /// <summary>True when the server closed the connection within the timeout (reading and discarding what it sent).</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        byte[] buffer = new byte[65536];
        try
        {
            while (true)
            {
                if (await _stream.ReadAsync(buffer, cts.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<List<RtmpMessage>> ReadMessagesAsync(CancellationToken token)
    {
        byte[] buffer = new byte[65536];
        int n = await _stream.ReadAsync(buffer, token);
        if (n == 0)
        {
            throw new IOException("server closed the connection");
        }

        _pending = [.. _pending, .. buffer.AsSpan(0, n)];
        var messages = new List<RtmpMessage>();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_pending));
        while (_reader.TryReadMessage(ref reader, out RtmpMessage m))
        {
            // Copy: the reader reuses its buffers.
            messages.Add(m with { Payload = m.Payload.ToArray() });
            if (m.Type == RtmpMessageType.SetChunkSize)
            {
                _reader.SetChunkSize(ProtocolControl.ReadUInt32(m.Payload.Span, m.Type));
            }
        }

        _pending = _pending[(int)reader.Consumed..];
        return messages;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
        _reader.Dispose();
    }
}
