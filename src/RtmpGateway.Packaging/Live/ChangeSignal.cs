namespace RtmpGateway.Packaging.Live;

/// <summary>
/// Wakes every waiter on each change: readers take the current task, the writer completes it and
/// puts a fresh one in place. Blocking playlist reloads wait on this.
/// </summary>
public sealed class ChangeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;

    /// <summary>A task that completes at the next change.</summary>
    public Task NextChange => Volatile.Read(ref _next).Task;

    /// <summary>
    /// How many changes there were: read before the state it describes, it tells whether something
    /// rendered from that state is still current (every change is published before it is signalled).
    /// </summary>
    public long Version => Interlocked.Read(ref _version);

    public void Signal()
    {
        Interlocked.Increment(ref _version);
        var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _next, fresh).TrySetResult();
    }
}
