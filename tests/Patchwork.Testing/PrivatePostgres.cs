using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

namespace Patchwork.Testing;

/// <summary>
/// A PostgreSQL 15 cluster of its own — its data directory under the temp folder, a free loopback port, the roles and
/// database <c>infra/local</c> makes — for fault tests that SIGKILL the server and restart it on the same port and data,
/// without disturbing the cluster every other test class shares.
/// <para>
/// It runs with <c>fsync</c> off (the operating system survives a killed process, so its page cache keeps every write)
/// but with <c>synchronous_commit</c> on: a commit is acknowledged only once its WAL has left the server's memory, which
/// a SIGKILL takes with it. (<c>infra/local up --fast</c> turns both off; that cluster is never killed.)
/// </para>
/// </summary>
public sealed class PrivatePostgres : IAsyncLifetime
{
    private const string Binaries = "/usr/lib/postgresql/15/bin";
    private static readonly bool AsRoot = Environment.UserName == "root";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "patchwork-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly string _superuserPassword = Secret();
    private readonly string _ownerPassword = Secret();
    private readonly string _appPassword = Secret();

    public int Port { get; } = LoopbackPort.Free();

    private string DataDirectory => Path.Combine(_directory, "data");

    private string LogFile => Path.Combine(_directory, "postgres.log");

    /// <summary>The application role: as in production, it may read and insert but owns nothing.</summary>
    public string AppConnectionString => ConnectionString("patchwork_app", _appPassword, "patchwork");

    /// <summary>The owner role, which applies the schema.</summary>
    public string OwnerConnectionString => ConnectionString("patchwork_owner", _ownerPassword, "patchwork");

    /// <summary>False between <see cref="KillAsync"/> and the next <see cref="StartAsync"/>.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>The last lines of the server's log, for a failure's message.</summary>
    public string LastLogged => File.Exists(LogFile) ? string.Join('\n', File.ReadLines(LogFile).TakeLast(20)) : "(no log)";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var passwordFile = Path.Combine(_directory, "superuser.pw");
        await File.WriteAllTextAsync(passwordFile, _superuserPassword + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // PostgreSQL refuses to run as root: the cluster belongs to the postgres user, as infra/local's does.
        if (AsRoot) await RunAsync("chown", "-R", "postgres:postgres", _directory);
        await RunAsPostgresAsync(Path.Combine(Binaries, "initdb"), "-D", DataDirectory, "-U", "postgres", "--pwfile=" + passwordFile,
            "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8");
        File.Delete(passwordFile);
        await StartAsync();

        await using var superuser = new NpgsqlConnection(ConnectionString("postgres", _superuserPassword, "postgres"));
        await superuser.OpenAsync();
        foreach (var statement in new[]
        {
            $"CREATE ROLE patchwork_owner LOGIN PASSWORD '{_ownerPassword}'",
            $"CREATE ROLE patchwork_app LOGIN PASSWORD '{_appPassword}'",
            "CREATE DATABASE patchwork OWNER patchwork_owner",
            "REVOKE ALL ON DATABASE patchwork FROM PUBLIC",
            "GRANT CONNECT ON DATABASE patchwork TO patchwork_app",
        })
        {
            await using var command = new NpgsqlCommand(statement, superuser);
            await command.ExecuteNonQueryAsync();
        }
        await using var database = new NpgsqlConnection(ConnectionString("postgres", _superuserPassword, "patchwork"));
        await database.OpenAsync();
        await using (var revoke = new NpgsqlCommand("REVOKE CREATE ON SCHEMA public FROM PUBLIC", database)) await revoke.ExecuteNonQueryAsync();
    }

    /// <summary>Starts the server on its port and data directory and returns once it accepts connections (after crash recovery, if killed).</summary>
    public async Task StartAsync()
    {
        var settings = string.Join(' ',
            "-c listen_addresses=127.0.0.1", $"-c port={Port.ToString(CultureInfo.InvariantCulture)}", "-c unix_socket_directories=''",
            "-c max_connections=300", "-c shared_buffers=128MB",
            "-c fsync=off", "-c full_page_writes=off", "-c synchronous_commit=on",
            // As infra/local: a client that vanished without closing its connection loses its advisory locks within seconds.
            "-c tcp_keepalives_idle=10", "-c tcp_keepalives_interval=5", "-c tcp_keepalives_count=3");
        try
        {
            await RunAsPostgresAsync(Path.Combine(Binaries, "pg_ctl"), "-D", DataDirectory, "-l", LogFile, "-o", settings, "-w", "-t", "120", "start");
        }
        catch (InvalidOperationException failed)
        {
            throw new InvalidOperationException($"{failed.Message}\nits log:\n{LastLogged}", failed);
        }
        IsRunning = true;
    }

    /// <summary>
    /// SIGKILL of the postmaster and of every process it started, at once, as when the kernel's OOM killer or a container
    /// runtime kills the server: no checkpoint, no shutdown, no goodbye to any client. Returns when they are all gone.
    /// </summary>
    public async Task KillAsync()
    {
        var postmaster = int.Parse((await File.ReadAllLinesAsync(Path.Combine(DataDirectory, "postmaster.pid")))[0], CultureInfo.InvariantCulture);
        var server = ChildrenOf(postmaster).Prepend(postmaster).ToList();
        foreach (var pid in server) SigKill(pid);
        IsRunning = false;
        await Eventually.Within(TimeSpan.FromSeconds(60), () => Task.FromResult(server.All(IsGone)), "every process of the killed PostgreSQL server to be gone");
    }

    public async Task DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")) && IsRunning) await KillAsync();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private string ConnectionString(string user, string password, string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Database = database, Username = user, Password = password,
    }.ConnectionString;

    private static string Secret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(18)).ToLowerInvariant();

    private static Task RunAsPostgresAsync(string program, params string[] arguments) =>
        AsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]) : RunAsync(program, arguments);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}{await output}");
    }

    /// <summary>The processes whose parent is <paramref name="parent"/>, from /proc: the postmaster's backends and helpers.</summary>
    private static IEnumerable<int> ChildrenOf(int parent)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (StatusOf(pid) is { } status && status.Parent == parent) yield return pid;
        }
    }

    private static void SigKill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(); // SIGKILL on Linux
        }
        catch (Exception gone) when (gone is ArgumentException or InvalidOperationException)
        {
            // Exited on its own already.
        }
    }

    /// <summary>
    /// Reaped, not merely dead: PostgreSQL refuses to start while the pid in its lock file answers a signal, and a zombie
    /// does (init here reaps orphans a second or two after they die).
    /// </summary>
    private static bool IsGone(int pid) => StatusOf(pid) is null;

    /// <summary>The parent of a process from /proc/PID/stat ("pid (comm) state ppid ..."; comm may hold spaces), or null when there is none.</summary>
    private static (char State, int Parent)? StatusOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception gone) when (gone is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
    }
}
