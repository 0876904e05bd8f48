using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using Patchwork.Server.Demo;
using Patchwork.Testing;
using RabbitMQ.Client;
using static Patchwork.Benchmarks.FeedBenchmark;

namespace Patchwork.Benchmarks;

/// <summary>
/// ./patchwork soak [minutes]: one server process under a steady mix for the given minutes (30 unless told) — team reads,
/// attention raised, feed connections held and churned, and a partner's RecordInvolvement commands on its queue, with the
/// partner's notice queue drained — and, each minute, the server's resident memory, its open descriptors, the feed
/// connections open and the HTTP latencies (p50, p99) with any failure counted. Goal: memory after the fifth minute grows
/// by at most 5%, and p99 stays flat.
/// </summary>
internal static class Soak
{
    private const int Readers = 4, Writers = 2, HeldConnections = 300, ChurnPerSecond = 5, Clients = 20;

    /// <summary>A steady offered load, not as fast as it will go: each reader 25 a second, each writer 5, the partner 5.</summary>
    private static readonly TimeSpan ReadEvery = TimeSpan.FromMilliseconds(40), WriteEvery = TimeSpan.FromMilliseconds(200), CommandEvery = TimeSpan.FromMilliseconds(200);

    public static async Task RunAsync(int minutes)
    {
        var schema = "soak_" + Guid.NewGuid().ToString("N")[..8];
        Console.WriteLine($"Soak: {minutes} min, {Readers} readers at 25/s, {Writers} writers at 5/s (attention raised), {HeldConnections} feed connections held " +
            $"({ChurnPerSecond}/s churned), partner commands 5/s; {Environment.ProcessorCount} cores; load average {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}");
        var broker = new RabbitVirtualHost();
        await broker.InitializeAsync();
        var mail = Directory.CreateTempSubdirectory("patchwork-soak-mail").FullName;
        var registration = Path.Combine(mail, "partner.json");
        var start = ServerArguments(schema, broker.Name, mail);
        start.Environment["Demo__PartnerRegistrationFile"] = registration;
        start.Environment["RabbitMq__ManagementUrl"] = LocalServers.RabbitManagementUrl.ToString();
        start.Environment["RabbitMq__AdminUsername"] = LocalServers.RabbitAdminUsername;
        start.Environment["RabbitMq__AdminPassword"] = LocalServers.RabbitAdminPassword;
        // The server's own metrics (a private port): the managed heap after each collection says whether resident memory
        // that grows is held by the application or only not yet given back by the garbage collector.
        var metricsPort = LoopbackPort.Free();
        start.Environment["Telemetry__MetricsPort"] = metricsPort.ToString(CultureInfo.InvariantCulture);
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
        await using var server = await ServerProcess.StartAsync(start);
        using var stop = new CancellationTokenSource();
        try
        {
            var worker = await SignInAsync(server.Address, mail, DemoPartnership.SocialWorker);
            var officer = await SignInAsync(server.Address, mail, DemoPartnership.PoliceOfficer);
            var nurse = await SignInAsync(server.Address, mail, DemoPartnership.SchoolNurse);
            var workerHttp = Browser(server.Address, worker);
            var workerToken = await AntiforgeryAsync(workerHttp);
            var clients = await ClientsAsync(server.Address, workerHttp, workerToken, officer);

            var window = new Window();
            var feeds = new ConcurrentQueue<FeedClient>(await OpenManyAsync(server.Address, nurse, HeldConnections));
            var partner = JsonDocument.Parse(await File.ReadAllTextAsync(registration)).RootElement.GetProperty("broker");
            await using var amqp = await new ConnectionFactory
            {
                HostName = partner.GetProperty("host").GetString()!, Port = partner.GetProperty("port").GetInt32(),
                VirtualHost = partner.GetProperty("virtualHost").GetString()!, UserName = partner.GetProperty("username").GetString()!,
                Password = partner.GetProperty("password").GetString()!,
            }.CreateConnectionAsync();
            await using var commands = await amqp.CreateChannelAsync(new CreateChannelOptions(true, true));
            await using var notices = await amqp.CreateChannelAsync();
            var drained = 0L;
            var drain = new RabbitMQ.Client.Events.AsyncEventingBasicConsumer(notices);
            drain.ReceivedAsync += (_, _) =>
            {
                Interlocked.Increment(ref drained);
                return Task.CompletedTask;
            };
            await notices.BasicConsumeAsync(partner.GetProperty("noticeQueue").GetString()!, autoAck: true, drain);

            var random = new Random(20261206);
            var load = new List<Task>();
            for (var i = 0; i < Readers; i++)
            {
                var http = Browser(server.Address, i % 2 == 0 ? worker : officer);
                load.Add(LoopAsync(window, ReadEvery, stop.Token, () => http.GetAsync($"{clients[random.Next(clients.Count)]}/team?purpose=casework", stop.Token)));
            }
            for (var i = 0; i < Writers; i++)
            {
                load.Add(LoopAsync(window, WriteEvery, stop.Token, () =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Post, $"{clients[random.Next(clients.Count)]}/attention");
                    request.Headers.Add("RequestVerificationToken", workerToken);
                    return workerHttp.SendAsync(request, stop.Token);
                }));
            }
            var sent = 0L;
            load.Add(Task.Run(async () =>
            {
                var exchange = partner.GetProperty("inboundExchange").GetString()!;
                var username = partner.GetProperty("username").GetString()!;
                using var ticks = new PeriodicTimer(CommandEvery);
                while (await Tick(ticks, stop.Token))
                {
                    var client = Guid.Parse(clients[random.Next(clients.Count)].Split('/')[^1]);
                    var messageId = Guid.CreateVersion7();
                    var body = JsonSerializer.SerializeToUtf8Bytes(new
                    {
                        messageId, messageType = new[] { "urn:message:Patchwork.Contracts.V1:RecordInvolvement" }, sentTime = DateTimeOffset.UtcNow,
                        message = new
                        {
                            commandId = Guid.CreateVersion7(), clientId = client, involvementId = Guid.CreateVersion7(), role = "family support worker",
                            service = "Early help", category = "general", start = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                            contactPhone = "01632 960444",
                        },
                    }, JsonSerializerOptions.Web);
                    await commands.BasicPublishAsync(exchange, "", true, new BasicProperties
                    {
                        MessageId = messageId.ToString(), ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent, UserId = username,
                    }, body, stop.Token);
                    Interlocked.Increment(ref sent);
                }
            }));
            load.Add(Task.Run(async () =>
            {
                using var ticks = new PeriodicTimer(TimeSpan.FromSeconds(1));
                while (await Tick(ticks, stop.Token))
                {
                    for (var i = 0; i < ChurnPerSecond && feeds.TryDequeue(out var old); i++) await old.DisposeAsync();
                    try
                    {
                        foreach (var opened in await OpenManyAsync(server.Address, nurse, ChurnPerSecond)) feeds.Enqueue(opened);
                    }
                    catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or HttpRequestException)
                    {
                        window.Failed($"feed connect: {e.GetType().Name}");
                    }
                }
            }));

            Console.WriteLine(" min |  requests | 409 | failed |  p50 ms |  p99 ms | RSS MB | heap MB | descriptors | feed open | partner sent / notices drained");
            var rows = new List<(int Minute, long Resident, long Heap, double P99)>();
            var clock = Stopwatch.StartNew();
            for (var minute = 1; minute <= minutes; minute++)
            {
                var due = TimeSpan.FromMinutes(minute) - clock.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due);
                var (count, conflicts, failed, p50, p99, reasons) = window.Take();
                var resident = server.ResidentBytes();
                var heap = await ManagedHeapBytesAsync(metrics);
                rows.Add((minute, resident, heap, p99));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $" {minute,3} | {count,9:N0} | {conflicts,3:N0} | {failed,6:N0} | {p50,7:0.0} | {p99,7:0.0} | {resident / 1048576.0,6:0.0} | {heap / 1048576.0,7:0.0} | {server.OpenDescriptors(),11:N0} | {feeds.Count(f => f.IsOpen),9:N0} | {Interlocked.Read(ref sent):N0} / {Interlocked.Read(ref drained):N0}"));
                foreach (var reason in reasons.Take(5)) Console.WriteLine($"       failure: {reason}");
            }
            await stop.CancelAsync();
            await Task.WhenAll(load.Select(task => task.ContinueWith(_ => { }, TaskScheduler.Default)));
            foreach (var feed in feeds) await feed.DisposeAsync();

            if (rows.Count > 5)
            {
                var settled = rows.Single(r => r.Minute == 5);
                var last = rows[^1];
                var growth = (last.Resident - settled.Resident) / (double)settled.Resident;
                var later = rows.Where(r => r.Minute > 5).Select(r => r.P99).ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Memory after minute 5: {settled.Resident / 1048576.0:0.0} MB → {last.Resident / 1048576.0:0.0} MB at minute {last.Minute} ({growth:+0.0%;-0.0%}; goal ≤ +5% → {(growth <= 0.05 ? "meets" : "MISSES")}); " +
                    $"managed heap after the last collection {settled.Heap / 1048576.0:0.0} MB → {last.Heap / 1048576.0:0.0} MB; " +
                    $"p99 after minute 5: {later.Min():0.0}–{later.Max():0.0} ms (first {later[0]:0.0}, last {later[^1]:0.0})"));
            }
            else
            {
                Console.WriteLine("Fewer than 6 minutes: memory growth after the fifth minute is not judged.");
            }
        }
        finally
        {
            await stop.CancelAsync();
            await server.DisposeAsync();
            await broker.DisposeAsync();
            Directory.Delete(mail, recursive: true);
            await Sql.AsOwnerAsync($"""DROP SCHEMA IF EXISTS "{schema}" CASCADE""");
        }
    }

    /// <summary>The managed heap's size after the last collection, all generations (the runtime's own metric), or 0 if unreadable.</summary>
    private static async Task<long> ManagedHeapBytesAsync(HttpClient metrics)
    {
        try
        {
            var text = await metrics.GetStringAsync("/metrics");
            return (long)text.Split('\n')
                .Where(line => line.StartsWith("dotnet_gc_last_collection_heap_size", StringComparison.Ordinal))
                // "name{labels} value [timestamp]": the value is the first field after the labels.
                .Sum(line => double.Parse(line[(line.Contains('}', StringComparison.Ordinal) ? line.IndexOf('}', StringComparison.Ordinal) + 1 : line.IndexOf(' ', StringComparison.Ordinal))..]
                    .Trim().Split(' ')[0], CultureInfo.InvariantCulture));
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    /// <summary>Clients with the social worker and the officer on the team and consent to the police, as the feed benchmark makes them.</summary>
    private static async Task<List<string>> ClientsAsync(Uri address, HttpClient worker, string workerToken, CookieContainer officer)
    {
        var officerHttp = Browser(address, officer);
        var officerToken = await AntiforgeryAsync(officerHttp);
        var clients = new List<string>();
        var start = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        for (var i = 0; i < Clients; i++)
        {
            var client = (await SendJsonAsync(worker, workerToken, "/api/v1/clients", new
            {
                givenNames = "Soak", familyName = "Client" + i.ToString(CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..6],
                dateOfBirth = "2014-05-05", candidatesSeen = true,
            })).GetProperty("clientId").GetGuid();
            await SendJsonAsync(worker, workerToken, $"/api/v1/clients/{client}/involvements", new { role = "social worker", category = "general", start, contact = new { phone = "01632 960111" } });
            await SendJsonAsync(officerHttp, officerToken, $"/api/v1/clients/{client}/involvements", new { role = "officer", category = "general", start, contact = new { phone = "01632 960222" } });
            await SendJsonAsync(worker, workerToken, $"/api/v1/clients/{client}/consents", new
            {
                scope = new { sector = "police" }, categories = new { includesGeneral = true, named = Array.Empty<string>() },
                givenBy = "client", evidence = new { kind = "verbal", reference = "soak" },
            });
            clients.Add($"/api/v1/clients/{client}");
        }
        return clients;
    }

    /// <summary>The next tick of a fixed schedule (a slow request delays only its own loop's next one), or false once stopped.</summary>
    private static async Task<bool> Tick(PeriodicTimer ticks, CancellationToken stop)
    {
        try
        {
            return await ticks.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task LoopAsync(Window window, TimeSpan every, CancellationToken stop, Func<Task<HttpResponseMessage>> send)
    {
        using var ticks = new PeriodicTimer(every);
        while (await Tick(ticks, stop))
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await send();
                await response.Content.LoadIntoBufferAsync(stop);
                window.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds, (int)response.StatusCode, response.IsSuccessStatusCode ? null : $"{(int)response.StatusCode} {response.RequestMessage?.Method}");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException e)
            {
                window.Failed($"{e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>One minute's HTTP latencies and failures, taken and reset each minute.</summary>
    private sealed class Window
    {
        private List<double> _latencies = [];
        private List<string> _reasons = [];
        private long _failed, _conflicts;

        /// <summary>A 409 (two writers raised attention on one client at once) is the API's answer to a race, not a failure.</summary>
        public void Add(double milliseconds, int status, string? failure)
        {
            lock (this)
            {
                _latencies.Add(milliseconds);
                if (status is 409) _conflicts++;
                if (failure is null || status is 409) return;
                _failed++;
                _reasons.Add(failure);
            }
        }

        public void Failed(string reason)
        {
            lock (this)
            {
                _failed++;
                _reasons.Add(reason);
            }
        }

        public (int Count, long Conflicts, long Failed, double P50, double P99, List<string> Reasons) Take()
        {
            lock (this)
            {
                var taken = (_latencies.Count, _conflicts, _failed, _latencies.Count > 0 ? Percentile(_latencies, 0.5) : 0, _latencies.Count > 0 ? Percentile(_latencies, 0.99) : 0,
                    _reasons.GroupBy(r => r).Select(g => $"{g.Key} ×{g.Count()}").ToList());
                (_latencies, _reasons, _failed, _conflicts) = ([], [], 0, 0);
                return taken;
            }
        }
    }
}
