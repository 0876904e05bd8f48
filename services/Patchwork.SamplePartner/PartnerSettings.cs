using System.Text.Json;

namespace Patchwork.SamplePartner;

/// <summary>
/// Where the partner's broker is and who it is there: the <c>broker</c> part of what Patchwork's registration
/// returns (<c>POST /api/v1/organisations/{org}/partner-systems</c>), read from that JSON file or from
/// <c>PARTNER_*</c> environment variables.
/// </summary>
public sealed record PartnerSettings(string Host, int Port, string VirtualHost, string Username, string Password, string NoticeQueue, string InboundExchange)
{
    public static PartnerSettings FromRegistrationFile(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var broker = document.RootElement.TryGetProperty("broker", out var nested) ? nested : document.RootElement;
        string Text(string name) => broker.GetProperty(name).GetString() ?? throw new InvalidDataException($"{path}: broker.{name} is missing");
        return new PartnerSettings(Text("host"), broker.GetProperty("port").GetInt32(), Text("virtualHost"), Text("username"), Text("password"),
            Text("noticeQueue"), Text("inboundExchange"));
    }

    public static PartnerSettings FromEnvironment()
    {
        static string Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"Set {name}, or pass --registration FILE.");
        return new PartnerSettings(Get("PARTNER_HOST"), int.Parse(Get("PARTNER_PORT"), System.Globalization.CultureInfo.InvariantCulture),
            Get("PARTNER_VHOST"), Get("PARTNER_USERNAME"), Get("PARTNER_PASSWORD"), Get("PARTNER_NOTICE_QUEUE"), Get("PARTNER_INBOUND_EXCHANGE"));
    }

    public override string ToString() => $"amqp://{Username}@{Host}:{Port}/{VirtualHost}";
}
