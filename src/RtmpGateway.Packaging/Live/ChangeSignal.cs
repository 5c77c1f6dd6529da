namespace RtmpGateway.Packaging.Live;

/// <summary>
/// Wakes every waiter on each change: readers take the current task, the writer completes it and
/// puts a fresh one in place. Blocking playlist reloads wait on this.
/// </summary>
public sealed class ChangeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A task that completes at the next change.</summary>
    public Task NextChange => Volatile.Read(ref _next).Task;

    public void Signal()
    {
        var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _next, fresh).TrySetResult();
    }
}
