namespace RtmpGateway.Rtmp.Commands;

/// <summary>The status codes of onStatus / _result info objects that encoders and players wait for.</summary>
public static class NetStatus
{
    public const string LevelStatus = "status";
    public const string LevelError = "error";

    public const string ConnectSuccess = "NetConnection.Connect.Success";
    public const string ConnectRejected = "NetConnection.Connect.Rejected";
    public const string PublishStart = "NetStream.Publish.Start";
    public const string PublishBadName = "NetStream.Publish.BadName";
    public const string PublishFailed = "NetStream.Publish.Failed";
    public const string UnpublishSuccess = "NetStream.Unpublish.Success";
    public const string PlayReset = "NetStream.Play.Reset";
    public const string PlayStart = "NetStream.Play.Start";
    public const string PlayStop = "NetStream.Play.Stop";
    public const string PlayStreamNotFound = "NetStream.Play.StreamNotFound";
    public const string PlayUnpublishNotify = "NetStream.Play.UnpublishNotify";
    public const string PlayPublishNotify = "NetStream.Play.PublishNotify";
}
