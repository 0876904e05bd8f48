namespace Patchwork.Server.Hosting;

/// <summary>
/// The origin links sent out of band (invitation mail) point at: <c>SignIn:PublicBaseUrl</c>, required in Production; in
/// development, the first address the host was told to listen on. Never the request's Host header, which the sender of
/// the request chooses.
/// </summary>
public static class PublicOrigin
{
    public static Uri For(string publicBaseUrl, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(publicBaseUrl);
        ArgumentNullException.ThrowIfNull(configuration);
        var origin = publicBaseUrl.Length > 0
            ? publicBaseUrl
            : (configuration["urls"] ?? configuration["ASPNETCORE_URLS"] ?? "http://127.0.0.1:5180").Split(';')[0];
        return new Uri(origin.TrimEnd('/') + "/");
    }
}
