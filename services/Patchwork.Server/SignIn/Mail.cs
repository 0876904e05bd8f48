using System.Globalization;
using System.Net.Mail;
using System.Text;

namespace Patchwork.Server.SignIn;

/// <summary>
/// Outgoing mail settings (section <c>Mail</c>). With <see cref="SmtpHost"/> set, mail goes to that relay over SMTP
/// (STARTTLS required unless <see cref="SmtpRequireTls"/> is turned off); without it, into the pickup directory.
/// </summary>
public sealed class MailOptions
{
    public const string Section = "Mail";

    /// <summary>Where .eml files are written; relative paths are under the content root.</summary>
    public string PickupDirectory { get; set; } = Path.Combine(".local", "mail");

    public string From { get; set; } = "Patchwork <no-reply@patchwork.invalid>";

    public string SmtpHost { get; set; } = "";

    public int SmtpPort { get; set; } = 587;

    public string SmtpUsername { get; set; } = "";

    public string SmtpPassword { get; set; } = "";

    /// <summary>Invitation links are secrets: in production they never cross the network in clear.</summary>
    public bool SmtpRequireTls { get; set; } = true;

    public TimeSpan SmtpTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool UsesSmtp => !string.IsNullOrWhiteSpace(SmtpHost);

    /// <summary>Never includes the SMTP password.</summary>
    public override string ToString() =>
        $"Mail(PickupDirectory={PickupDirectory}, From={From}, SmtpHost={SmtpHost}:{SmtpPort}, SmtpUsername={SmtpUsername}, SmtpRequireTls={SmtpRequireTls})";
}

public sealed record OutgoingMail(string ToName, string ToAddress, string Subject, string Body);

/// <summary>Sends one message; the one seam a production SMTP sender replaces.</summary>
public interface IMailSender
{
    Task SendAsync(OutgoingMail mail, CancellationToken cancellationToken);
}

/// <summary>Hands each message to the configured SMTP relay (System.Net.Mail; STARTTLS and credentials as configured).</summary>
internal sealed class SmtpMailSender(MailOptions options) : IMailSender
{
    public async Task SendAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mail);
        using var message = new MailMessage(new MailAddress(options.From), new MailAddress(mail.ToAddress, mail.ToName))
        {
            Subject = mail.Subject.ReplaceLineEndings(" "),
            Body = mail.Body.ReplaceLineEndings("\r\n"),
            BodyEncoding = Encoding.UTF8,
            // Readable by any relay, and a link on a line of its own stays intact.
            BodyTransferEncoding = System.Net.Mime.TransferEncoding.QuotedPrintable,
            SubjectEncoding = Encoding.UTF8,
        };
        using var smtp = new SmtpClient(options.SmtpHost, options.SmtpPort)
        {
            EnableSsl = options.SmtpRequireTls,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            Timeout = (int)options.SmtpTimeout.TotalMilliseconds,
        };
        if (options.SmtpUsername.Length > 0) smtp.Credentials = new System.Net.NetworkCredential(options.SmtpUsername, options.SmtpPassword);
        await smtp.SendMailAsync(message, cancellationToken);
    }
}

/// <summary>Writes each message as an RFC 5322 .eml file into the pickup directory, readable by the owner only.</summary>
internal sealed class PickupDirectoryMailSender(MailOptions options, IHostEnvironment environment, TimeProvider clock) : IMailSender
{
    public string Directory { get; } = Path.GetFullPath(options.PickupDirectory, environment.ContentRootPath);

    public async Task SendAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mail);
        var from = new MailAddress(options.From);
        var to = new MailAddress(mail.ToAddress, mail.ToName);
        var now = clock.GetUtcNow();
        var message = new StringBuilder()
            .Append("From: ").Append(Address(from)).Append("\r\n")
            .Append("To: ").Append(Address(to)).Append("\r\n")
            .Append("Subject: ").Append(Encoded(mail.Subject)).Append("\r\n")
            .Append("Date: ").Append(now.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Message-ID: <").Append(Guid.CreateVersion7().ToString("N")).Append('@').Append(from.Host).Append(">\r\n")
            .Append("MIME-Version: 1.0\r\n")
            .Append("Content-Type: text/plain; charset=utf-8\r\n")
            .Append("Content-Transfer-Encoding: 8bit\r\n\r\n")
            .Append(mail.Body.ReplaceLineEndings("\r\n")).Append("\r\n");

        System.IO.Directory.CreateDirectory(Directory);
        var name = $"{now:yyyyMMddTHHmmssfff}-{Guid.NewGuid():N}";
        var partial = Path.Combine(Directory, name + ".tmp");
        // Invitation links are secrets: owner-only on Unix; renamed into place so a pickup agent never reads half a file.
        var file = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var stream = new FileStream(partial, file))
            await stream.WriteAsync(Encoding.UTF8.GetBytes(message.ToString()), cancellationToken);
        File.Move(partial, Path.Combine(Directory, name + ".eml"));
    }

    /// <summary>
    /// A display name is a practitioner's own text: "Smith, Jo" or one holding <c>&lt;</c>, <c>@</c> or <c>"</c> would otherwise
    /// read as more addresses or another address (RFC 5322 §3.4). Printable ASCII goes in a quoted string, anything else
    /// in an RFC 2047 encoded word, which a reader never parses as an address.
    /// </summary>
    internal static string Address(MailAddress address) =>
        string.IsNullOrEmpty(address.DisplayName) ? $"<{address.Address}>" : $"{DisplayName(address.DisplayName)} <{address.Address}>";

    private static string DisplayName(string name)
    {
        var flat = name.ReplaceLineEndings(" ");
        return flat.All(c => c is >= ' ' and <= '~')
            ? "\"" + flat.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
            : Encoded(flat);
    }

    /// <summary>RFC 2047 for anything outside printable ASCII; header text never carries a line break.</summary>
    private static string Encoded(string text)
    {
        var flat = text.ReplaceLineEndings(" ");
        return flat.All(c => c is >= ' ' and <= '~') ? flat : $"=?utf-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(flat))}?=";
    }
}
