using System.Diagnostics;

namespace Patchwork.Testing;

/// <summary>How a test starts the server as a real process: the built Patchwork.Server.dll beside the test, on a loopback port, output captured.</summary>
public static class ServerProcessStart
{
    public static ProcessStartInfo On(int port)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Patchwork.Server.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        // The process runs as Production, which requires the public origin of invitation links and the token server's issuer.
        start.Environment["SignIn__PublicBaseUrl"] = $"http://127.0.0.1:{port}";
        start.Environment["Tokens__Issuer"] = $"http://127.0.0.1:{port}";
        return start;
    }
}
