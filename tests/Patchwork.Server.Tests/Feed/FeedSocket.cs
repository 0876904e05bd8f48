using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Patchwork.Server.Tests.Feed;

/// <summary>
/// A browser's end of the feed, speaking SignalR's JSON hub protocol over a plain WebSocket (the .NET SignalR client is
/// not in our registry): the handshake, then records separated by 0x1E. Pings are answered by ignoring them; every
/// "notice" invocation is queued for the test to read.
/// </summary>
public sealed class FeedSocket : IAsyncDisposable
{
    private const char Separator = '\u001e';
    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _notices = Channel.CreateUnbounded<JsonElement>();
    private readonly Task _reading;

    private FeedSocket(ClientWebSocket socket)
    {
        _socket = socket;
        _reading = Task.Run(ReadAsync);
    }

    public WebSocketState State => _socket.State;

    public Task Closed => _reading;

    public static async Task<FeedSocket> ConnectAsync(Uri server, CookieContainer cookies, string? origin = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        var socket = new ClientWebSocket();
        socket.Options.Cookies = cookies;
        socket.Options.SetRequestHeader("Origin", origin ?? server.GetLeftPart(UriPartial.Authority));
        var uri = new UriBuilder(server) { Scheme = server.Scheme == "https" ? "wss" : "ws", Path = "/hubs/feed" }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}" + Separator), WebSocketMessageType.Text, true, CancellationToken.None);
        return new FeedSocket(socket);
    }

    /// <summary>The next notice pushed to this connection, or a timeout.</summary>
    public async Task<JsonElement> NextNoticeAsync(TimeSpan within)
    {
        using var deadline = new CancellationTokenSource(within);
        try
        {
            return await _notices.Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no notice within {within.TotalSeconds:0.#} s");
        }
    }

    /// <summary>Whatever notices have arrived so far, without waiting.</summary>
    public List<JsonElement> Received()
    {
        var all = new List<JsonElement>();
        while (_notices.Reader.TryRead(out var notice)) all.Add(notice);
        return all;
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[16 * 1024];
        var pending = new StringBuilder();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close) break;
                pending.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                var text = pending.ToString();
                var end = text.LastIndexOf(Separator);
                if (end < 0) continue;
                pending.Clear().Append(text[(end + 1)..]);
                foreach (var record in text[..end].Split(Separator, StringSplitOptions.RemoveEmptyEntries))
                {
                    var message = JsonDocument.Parse(record).RootElement;
                    if (message.TryGetProperty("type", out var type) && type.GetInt32() == 1 && message.GetProperty("target").GetString() == "notice")
                        await _notices.Writer.WriteAsync(message.GetProperty("arguments")[0].Clone());
                    if (message.TryGetProperty("type", out var closing) && closing.GetInt32() == 7) return;
                }
            }
        }
        catch (WebSocketException)
        {
            // The server went away or aborted the connection: Closed completes.
        }
        finally
        {
            _notices.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None); }
            catch (WebSocketException) { /* already gone */ }
        }
        _socket.Dispose();
    }
}
