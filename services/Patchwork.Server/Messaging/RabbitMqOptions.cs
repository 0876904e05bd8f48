namespace Patchwork.Server.Messaging;

/// <summary>The broker connection, bound from the <c>RabbitMq</c> section (environment: <c>RabbitMq__Host</c> …).</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "patchwork";
    public string Username { get; set; } = "";
    public string Password { get; set; } = "";

    public override string ToString() => $"amqp://{Username}@{Host}:{Port}/{VirtualHost}";
}
