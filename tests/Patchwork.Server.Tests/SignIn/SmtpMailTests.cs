using System.Net;
using System.Net.Sockets;
using System.Text;
using Patchwork.Server.SignIn;

namespace Patchwork.Server.Tests.SignIn;

/// <summary>
/// The production mail path: invitations handed to an SMTP relay. No mail server runs on this machine, so each test
/// runs a small SMTP peer on a loopback socket that records the conversation; the sender speaks real SMTP to it.
/// </summary>
public sealed class SmtpMailTests
{
    [Fact]
    public async Task A_message_reaches_the_relay_with_its_sender_recipient_subject_and_body()
    {
        await using var relay = await SmtpPeer.StartAsync(offerStartTls: false);
        var sender = new SmtpMailSender(new MailOptions
        {
            From = "Patchwork <no-reply@wessex.example>", SmtpHost = "127.0.0.1", SmtpPort = relay.Port, SmtpRequireTls = false,
        });

        await sender.SendAsync(new OutgoingMail("Sam Social", "sam@wessex.example", "Your Patchwork invitation",
            "Open this link to set up your account:\nhttps://patchwork.example/invitations/abc"), CancellationToken.None);

        var conversation = await relay.ConversationAsync();
        conversation.ShouldContain("MAIL FROM:<no-reply@wessex.example>");
        conversation.ShouldContain("RCPT TO:<sam@wessex.example>");
        conversation.ShouldContain("Subject: Your Patchwork invitation");
        // Quoted-printable wraps long lines with a soft break ("=" at the end of a line); the link is whole once they are undone.
        conversation.Replace("=\n", "", StringComparison.Ordinal).ShouldContain("https://patchwork.example/invitations/abc", Case.Sensitive, conversation);
    }

    [Fact]
    public async Task With_TLS_required_a_relay_that_offers_no_STARTTLS_gets_no_message_in_clear()
    {
        await using var relay = await SmtpPeer.StartAsync(offerStartTls: false);
        var sender = new SmtpMailSender(new MailOptions { SmtpHost = "127.0.0.1", SmtpPort = relay.Port, SmtpTimeout = TimeSpan.FromSeconds(10) });

        await Should.ThrowAsync<Exception>(() => sender.SendAsync(
            new OutgoingMail("Sam Social", "sam@wessex.example", "Your Patchwork invitation", "secret link"), CancellationToken.None));

        var conversation = await relay.ConversationAsync();
        conversation.ShouldNotContain("secret link");
        conversation.ShouldNotContain("RCPT TO");
    }

    [Fact]
    public void The_mail_settings_never_print_the_SMTP_password()
    {
        var options = new MailOptions { SmtpHost = "smtp.example", SmtpUsername = "patchwork", SmtpPassword = "hunter2-very-secret" };
        options.ToString().ShouldNotContain("hunter2-very-secret");
        options.UsesSmtp.ShouldBeTrue();
        new MailOptions().UsesSmtp.ShouldBeFalse();
    }

    /// <summary>Just enough of RFC 5321 to accept one message, recording every line the client sent.</summary>
    private sealed class SmtpPeer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly Task<string> _session;

        private SmtpPeer(TcpListener listener, bool offerStartTls)
        {
            _listener = listener;
            _session = Task.Run(() => ServeOneAsync(offerStartTls));
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public static Task<SmtpPeer> StartAsync(bool offerStartTls)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return Task.FromResult(new SmtpPeer(listener, offerStartTls));
        }

        public Task<string> ConversationAsync() => _session.WaitAsync(TimeSpan.FromSeconds(30));

        private async Task<string> ServeOneAsync(bool offerStartTls)
        {
            var heard = new StringBuilder();
            using var client = await _listener.AcceptTcpClientAsync();
            await using var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.UTF8);
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 peer.test ESMTP");
            var inData = false;
            while (await reader.ReadLineAsync() is { } line)
            {
                heard.AppendLine(line);
                if (inData)
                {
                    if (line == ".") { inData = false; await writer.WriteLineAsync("250 queued"); }
                    continue;
                }
                var verb = line.Split(' ', ':')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-peer.test");
                        if (offerStartTls) await writer.WriteLineAsync("250-STARTTLS");
                        await writer.WriteLineAsync("250 8BITMIME");
                        break;
                    case "DATA":
                        inData = true;
                        await writer.WriteLineAsync("354 go ahead");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 bye");
                        return heard.ToString();
                    case "STARTTLS":
                        await writer.WriteLineAsync("454 TLS not available");
                        break;
                    default:
                        await writer.WriteLineAsync("250 ok");
                        break;
                }
            }
            return heard.ToString();
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            try { await _session.WaitAsync(TimeSpan.FromSeconds(5)); }
            catch (Exception) { /* the session already failed its test, or the client hung up */ }
        }
    }
}
