namespace Patchwork.Testing;

/// <summary>Waits for a condition with a deadline: the only way tests here wait for something asynchronous.</summary>
public static class Eventually
{
    public static async Task<T> Within<T>(TimeSpan deadline, Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var until = DateTime.UtcNow + deadline;
        T last;
        do
        {
            last = await probe();
            if (done(last)) return last;
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < until);
        throw new TimeoutException($"Gave up after {deadline.TotalSeconds:0.#} s waiting for {what}; last seen: {last}");
    }

    public static Task Within(TimeSpan deadline, Func<Task<bool>> condition, string what) =>
        Within(deadline, condition, ok => ok, what);
}
