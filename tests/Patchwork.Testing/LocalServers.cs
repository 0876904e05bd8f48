namespace Patchwork.Testing;

/// <summary>
/// Connection settings for the project-local PostgreSQL and RabbitMQ that <c>infra/local up</c> starts.
/// Read from the environment (as <c>./patchwork test</c> exports them) or, when a test runs from an IDE,
/// from <c>.local/patchwork.env</c> in the repository. Missing settings fail the test: nothing is skipped.
/// </summary>
public static class LocalServers
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Settings = new(Load);

    public static string PostgresApp => Get("ConnectionStrings__Patchwork");
    public static string PostgresOwner => Get("ConnectionStrings__PatchworkOwner");
    public static string PostgresSuperuser => Get("ConnectionStrings__PatchworkSuperuser");
    public static string RabbitHost => Get("RabbitMq__Host");
    public static int RabbitPort => int.Parse(Get("RabbitMq__Port"), System.Globalization.CultureInfo.InvariantCulture);
    public static string RabbitUsername => Get("RabbitMq__Username");
    public static string RabbitPassword => Get("RabbitMq__Password");
    public static Uri RabbitManagementUrl => new(Get("RabbitMq__ManagementUrl"));
    public static string RabbitAdminUsername => Get("RabbitMq__AdminUsername");
    public static string RabbitAdminPassword => Get("RabbitMq__AdminPassword");
    public static string InfraScript => Get("PATCHWORK_INFRA");
    public static string RepositoryRoot => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(InfraScript)!, ".."));

    public static string Get(string key) =>
        Settings.Value.TryGetValue(key, out var value) && value.Length > 0
            ? value
            : throw new InvalidOperationException(
                $"The setting {key} is missing. Start the local servers with `infra/local up --fast` " +
                "or run the tests with `./patchwork test`.");

    private static Dictionary<string, string> Load()
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var file = FindSettingsFile();
        if (file is not null)
        {
            foreach (var line in File.ReadAllLines(file))
            {
                var equals = line.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0) settings[line[..equals]] = Unquote(line[(equals + 1)..]);
            }
        }
        foreach (var key in settings.Keys.ToList().Concat(["PATCHWORK_INFRA"]))
        {
            if (Environment.GetEnvironmentVariable(key) is { Length: > 0 } fromEnvironment) settings[key] = fromEnvironment;
        }
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var key = (string)entry.Key;
            if (key.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || key.StartsWith("RabbitMq__", StringComparison.Ordinal))
                settings[key] = (string)entry.Value!;
        }
        return settings;
    }

    /// <summary>The settings file single-quotes its values so that a shell can source it.</summary>
    internal static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '\'' && value[^1] == '\'' ? value[1..^1] : value;

    private static string? FindSettingsFile()
    {
        if (Environment.GetEnvironmentVariable("PATCHWORK_LOCAL_DIR") is { Length: > 0 } dir)
            return File.Exists(Path.Combine(dir, "patchwork.env")) ? Path.Combine(dir, "patchwork.env") : null;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, ".local", "patchwork.env");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
