using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Patchwork.Core;
using Patchwork.Core.Involvements;
using Patchwork.Server.Demo;
using Patchwork.Server.Feed;
using Patchwork.Server.PartnerBus.Registration;
using Patchwork.Server.SignIn;
using Patchwork.Server.Telemetry;
using Patchwork.Server.Tests.Api;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Foundation;

/// <summary>A host whose every span, metric and log record is kept in memory for the test to read.</summary>
public sealed class TracedApiServer : ApiServer
{
    public TracedApiServer()
    {
        // Registering a partner system (the partner command's trace) makes its broker user through the management API.
        Settings.TryAdd("RabbitMq:ManagementUrl", LocalServers.RabbitManagementUrl.ToString());
        Settings.TryAdd("RabbitMq:AdminUsername", LocalServers.RabbitAdminUsername);
        Settings.TryAdd("RabbitMq:AdminPassword", LocalServers.RabbitAdminPassword);
    }

    /// <summary>Spans as they end, on whatever thread ends them (the relays' in the background): read them under its lock.</summary>
    public LockedList<Activity> Spans { get; } = new();

    public LockedList<MetricSnapshot> Metrics { get; } = new();

    /// <summary>Each log record as its exporter would see it: category, message, attributes, scopes, trace and span ids.</summary>
    public ConcurrentQueue<string> LogLines { get; } = new();

    public ConcurrentQueue<(string Category, ActivityTraceId Trace, ActivitySpanId Span)> LogContexts { get; } = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans));
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(Metrics));
        services.ConfigureOpenTelemetryLoggerProvider(logging => logging.AddProcessor(new LogText(this)));
        // The feed hub admits a practitioner through this host's test header, as the API here does (the hub's own door,
        // cookie and authenticator code, is proven by the feed and sign-in tests).
        services.PostConfigure<AuthorizationOptions>(authorization => authorization.AddPolicy(PatchworkClaims.PractitionerPolicy, policy => policy
            .AddAuthenticationSchemes(TestPractitionerScheme.Name)
            .RequireClaim(PatchworkClaims.Practitioner)));
    }

    /// <summary>
    /// The in-memory exporters add from the threads that end spans and collect metrics while the test reads: every add
    /// takes the list's own lock, the one the test holds while it reads, and enumerating gives a copy.
    /// </summary>
    public sealed class LockedList<T> : ICollection<T>
    {
        private readonly List<T> _items = [];

        public int Count
        {
            get
            {
                lock (this) return _items.Count;
            }
        }

        public bool IsReadOnly => false;

        public void Add(T item)
        {
            lock (this) _items.Add(item);
        }

        public void Clear()
        {
            lock (this) _items.Clear();
        }

        public bool Contains(T item)
        {
            lock (this) return _items.Contains(item);
        }

        public void CopyTo(T[] array, int arrayIndex)
        {
            lock (this) _items.CopyTo(array, arrayIndex);
        }

        public bool Remove(T item)
        {
            lock (this) return _items.Remove(item);
        }

        public IEnumerator<T> GetEnumerator()
        {
            List<T> copy;
            lock (this) copy = [.. _items];
            return copy.GetEnumerator();
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Copies what a log exporter would send as text (log records are pooled and reused once exported).</summary>
    private sealed class LogText(TracedApiServer server) : BaseProcessor<LogRecord>
    {
        public override void OnEnd(LogRecord data)
        {
            var line = new StringBuilder("log ").Append(data.CategoryName).Append(' ').Append(data.FormattedMessage).Append(' ').Append(data.Body);
            foreach (var (key, value) in data.Attributes ?? []) line.Append(' ').Append(key).Append('=').Append(value);
            data.ForEachScope((scope, text) =>
            {
                foreach (var (key, value) in scope) text.Append(' ').Append(key).Append('=').Append(value);
            }, line);
            if (data.Exception is { } exception) line.Append(' ').Append(exception);
            server.LogLines.Enqueue(line.ToString());
            server.LogContexts.Enqueue((data.CategoryName ?? "", data.TraceId, data.SpanId));
        }
    }
}

/// <summary>
/// What the host tells an operator: traces across HTTP, the access policy, PostgreSQL and the bus; metrics; logs with trace
/// ids; and none of it carries a client's or a practitioner's personal data (SECURITY.md).
/// </summary>
public sealed class TelemetryTests(TracedApiServer server) : IClassFixture<TracedApiServer>
{
    private static readonly (string Given, string Family, DateOnly Born, string NhsNumber, string Postcode) Registered =
        ("Rosalind", "Quenby-Tarrant", new DateOnly(2013, 2, 11), ValidNhsNumber(), "WX9 8QZ");

    [Fact]
    public async Task A_traced_journey_leaves_spans_metrics_and_logs_with_no_names_dates_of_birth_nhs_numbers_or_postcodes()
    {
        await JourneyAsync();
        var (spans, labels, logs) = await CollectAsync(requireSources: true);
        var found = Scan(spans, labels, logs);
        Console.WriteLine($"traced journey scanned: {spans.Count} spans, {labels.Count} metric points, {logs.Count} log records; {found.Count} personal data found");
        found.ShouldBeEmpty($"personal data in telemetry:\n{string.Join('\n', found.Take(20))}");
        spans.Count.ShouldBeGreaterThan(50, "the scan read the journey's spans");
        logs.ShouldNotBeEmpty();

        // The positive control: a name planted in a span and a date of birth in a log line are found by the same scan.
        using (var planted = PatchworkMetrics.Source.StartActivity("planted"))
        {
            planted.ShouldNotBeNull("the host listens to its own source");
            planted.SetTag("planted.name", "Ellie Marsh-Whitfield");
        }
        server.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Planted").LogWarning("Born {Born}", "2011-04-17");
        (spans, labels, logs) = await CollectAsync(requireSources: false);
        var plantedFound = Scan(spans, labels, logs);
        plantedFound.ShouldContain(hit => hit.StartsWith("span planted", StringComparison.Ordinal) && hit.EndsWith("<= Marsh-Whitfield", StringComparison.Ordinal));
        plantedFound.ShouldContain(hit => hit.StartsWith("log Planted", StringComparison.Ordinal) && hit.EndsWith("<= 2011-04-17", StringComparison.Ordinal));
        plantedFound.Count.ShouldBe(3, string.Join('\n', plantedFound));
    }

    [Fact]
    public async Task The_policy_decision_is_a_span_with_its_outcome_and_log_records_in_a_request_carry_its_trace_id()
    {
        var before = server.Spans.Count;
        var refused = await server.As(DemoPartnership.RefugeWorker).GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/team?purpose=casework");
        refused.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var allowed = await server.As(DemoPartnership.SocialWorker).GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/team?purpose=casework");
        allowed.StatusCode.ShouldBe(HttpStatusCode.OK);

        // A request's span ends after its response is written: wait for both reads' spans to be exported.
        Activity[] spans = [];
        List<Activity> reads = [];
        await Eventually.Within(TimeSpan.FromSeconds(10), () =>
        {
            lock (server.Spans) spans = [.. server.Spans.Skip(before)];
            reads = [.. spans.Where(s => s.Source.Name == "Microsoft.AspNetCore" && s.DisplayName == "GET /api/v1/clients/{clientId}/team")];
            return Task.FromResult(reads.Count >= 2);
        }, "both team reads' spans");
        var policy = spans.Where(s => s.Source.Name == Core.Access.PolicyTelemetry.Name && s.DisplayName == "access-policy team"
                                      && reads.Any(r => r.TraceId == s.TraceId)).ToList();
        policy.Select(s => s.GetTagItem("patchwork.policy.outcome")).ShouldContain("refused");
        policy.Select(s => s.GetTagItem("patchwork.policy.outcome")).ShouldContain("allowed");
        var request = reads.First(r => r.TraceId == policy[0].TraceId);
        request.GetTagItem("http.route").ShouldBe("/api/v1/clients/{clientId}/team");
        request.GetTagItem("url.path").ShouldBeNull("the path holds the client's id");
        request.GetTagItem("url.query").ShouldBeNull();
        policy[0].ParentSpanId.ShouldNotBe(default);
        spans.ShouldContain(s => s.Source.Name == "Npgsql" && s.TraceId == request.TraceId, "the request's queries are in its trace");
        policy.SelectMany(s => s.TagObjects).Select(t => t.Key).ShouldNotContain(key => key.Contains("id", StringComparison.OrdinalIgnoreCase) && key != "patchwork.policy.hidden");

        // The refused read logs its audit denial inside the request: some record of that trace carries its trace and span ids.
        var contexts = server.LogContexts.ToArray();
        contexts.ShouldContain(c => c.Trace != default && c.Span != default, "log records inside a request carry its trace and span ids");
    }

    [Fact]
    public async Task Readiness_names_every_check_with_its_state_and_numbers_and_nothing_else()
    {
        JsonElement body = default;
        await Eventually.Within(TimeSpan.FromSeconds(30), async () =>
        {
            var ready = await server.Anonymous().GetAsync("/health/ready");
            body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
            return ready.StatusCode == HttpStatusCode.OK;
        }, "ready");
        var checks = body.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c);
        checks.Keys.ShouldBe(["postgres", "rabbitmq", "masstransit-bus", "event-daemon", "token-keys"], ignoreOrder: true);
        checks["token-keys"].GetProperty("data").GetProperty("signingCertificateDaysLeft").GetDouble().ShouldBeGreaterThan(14);
        var daemon = checks["event-daemon"].GetProperty("data");
        daemon.GetProperty("highWaterMark").GetInt64().ShouldBeGreaterThan(0, "the demo's events are below the mark");
        daemon.GetProperty("partner-relay.state").GetString().ShouldBe("Running");
        daemon.GetProperty("feed-relay.pendingEvents").ValueKind.ShouldBe(JsonValueKind.Number);
        body.ToString().ShouldNotContain(LocalServers.Get("Tokens__SigningCertificatePath"));
    }

    /// <summary>Register a client, record involvements, read the team, search, and act as a partner system with a real token.</summary>
    private async Task JourneyAsync()
    {
        var socialWorker = server.As(DemoPartnership.SocialWorker);
        var registered = await socialWorker.PostAsJsonAsync("/api/v1/clients", new
        {
            givenNames = Registered.Given,
            familyName = Registered.Family,
            dateOfBirth = Registered.Born.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            nhsNumber = Registered.NhsNumber,
            postcode = Registered.Postcode,
            candidatesSeen = true,
        });
        var body = await registered.Content.ReadAsStringAsync();
        registered.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        var client = JsonDocument.Parse(body).RootElement.GetProperty("clientId").GetGuid();

        var involvement = new
        {
            role = "allocated worker",
            category = "general",
            start = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-2)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            contact = new { phone = "01632 960999", email = "someone@wessex.example.org" },
        };
        (await socialWorker.PostAsJsonAsync($"/api/v1/clients/{client}/involvements", involvement)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await server.As(DemoPartnership.PoliceOfficer).PostAsJsonAsync($"/api/v1/clients/{client}/involvements", involvement))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        (await socialWorker.GetAsync($"/api/v1/clients/{client}/team?purpose=casework")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await socialWorker.GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/team?purpose=casework")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var refuge = server.As(DemoPartnership.RefugeWorker);
        var purpose = Uri.EscapeDataString("referral from the family's school");
        (await refuge.GetAsync($"/api/v1/clients?nhsNumber=943 476 5919&purpose={purpose}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await refuge.GetAsync($"/api/v1/clients?familyName=Marsh-Whitfield&dateOfBirth=2011-04-17&purpose={purpose}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await refuge.GetAsync($"/api/v1/clients?postcode={Uri.EscapeDataString(Registered.Postcode)}&purpose={purpose}")).StatusCode.ShouldNotBe(HttpStatusCode.InternalServerError);
        (await refuge.GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/team?purpose=casework")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var partner = await server.AsPartnerOf(DemoPartnership.Police.Id, PartnerScopes.Read);
        (await partner.GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/team?purpose=casework")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_partner_command_and_the_notice_it_becomes_on_a_practitioners_screen_are_one_trace()
    {
        // The police's case system sends a command on its own queue; the officer on Ellie's team has the feed open and is
        // told of the new police involvement.
        RegisteredPartnerSystem police;
        await using (var scope = server.Services.CreateAsyncScope())
            police = await scope.ServiceProvider.GetRequiredService<PartnerSystemRegistry>().RegisterAsync(
                new PartnerSystemRequest(DemoPartnership.Police.Id, "police case system", [PartnerScopes.InvolvementsWrite], null, ClientSecret: true), default);
        var seen = System.Threading.Channels.Channel.CreateUnbounded<FeedNoticeResponse>();
        var officer = DemoPartnership.PoliceOfficer;
        await using var feed = new HubConnectionBuilder()
            .WithUrl(new Uri("http://localhost/hubs/feed"), options =>
            {
                options.Transports = HttpTransportType.LongPolling;
                options.HttpMessageHandlerFactory = _ => server.Handler();
                options.Headers[TestPractitionerScheme.Header] = $"{officer.Id.Value}|{officer.Agency.Id.Value}|{officer.Roles}";
            })
            .Build();
        feed.On<FeedNoticeResponse>("notice", notice => seen.Writer.TryWrite(notice));
        await feed.StartAsync();

        var involvement = InvolvementId.New();
        var messageId = Guid.CreateVersion7();
        await using (var connection = await new RabbitMQ.Client.ConnectionFactory
        {
            HostName = LocalServers.RabbitHost, Port = LocalServers.RabbitPort, VirtualHost = police.Broker.VirtualHost,
            UserName = police.Broker.Username, Password = police.Broker.Password,
        }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new RabbitMQ.Client.CreateChannelOptions(true, true)))
        {
            await PartnerBus.PartnerRelayRig.SendCommandAsync(channel, police.Broker, messageId, "RecordInvolvement",
                PartnerBus.PartnerRelayRig.RecordCommand(DemoPartnership.Ellie, involvement, "general"));
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        FeedNoticeResponse notice;
        do notice = await seen.Reader.ReadAsync(deadline.Token);
        while (notice.SubjectId != involvement.Value);

        // The command's consume starts the trace; every later step carries it: the append, the relay, the fan-out's
        // publish and consume, and the push to the practitioner's connection.
        var tracer = server.Services.GetRequiredService<TracerProvider>();
        var consumed = await Eventually.Within(TimeSpan.FromSeconds(30), () =>
        {
            tracer.ForceFlush();
            return Task.FromResult(server.Spans.FirstOrDefault(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer
                && Equals(s.GetTagItem("messaging.message.id"), messageId.ToString())));
        }, span => span is not null, "the partner command's consume span");
        var trace = consumed!.TraceId;
        var inTrace = await Eventually.Within(TimeSpan.FromSeconds(30), () =>
        {
            tracer.ForceFlush();
            return Task.FromResult(server.Spans.Where(s => s.TraceId == trace).ToList());
        }, spans => spans.Any(s => s.DisplayName == "feed push"), "the push of the notice in the command's trace");
        Console.WriteLine($"one trace, {inTrace.Count} spans: " + string.Join(" > ", inTrace.OrderBy(s => s.StartTimeUtc).Select(s => $"{s.Source.Name}:{s.DisplayName}")));

        inTrace.ShouldContain(s => s.Source.Name == "Npgsql", "the append to the log");
        inTrace.ShouldContain(s => s.DisplayName == "relay feed notice", "the feed relay's hand-over, though it ran later in the background");
        inTrace.ShouldContain(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Producer, "the fan-out's publish");
        inTrace.ShouldContain(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer && s.SpanId != consumed.SpanId, "the node's consume of the notice");
        var push = inTrace.Single(s => s.DisplayName == "feed push" && s.ParentSpanId != default);
        push.GetTagItem("patchwork.connections").ShouldBe(1);
        // The positive control: a relay span of another save (the demo's seeding) is not in this trace.
        server.Spans.ShouldContain(s => s.DisplayName == "relay feed notice" && s.TraceId != trace);
    }

    /// <summary>Everything exported so far, as text: span names and attributes, metric names and labels, log lines.</summary>
    private async Task<(List<string> Spans, List<string> Labels, List<string> Logs)> CollectAsync(bool requireSources)
    {
        var meters = server.Services.GetRequiredService<MeterProvider>();
        var tracer = server.Services.GetRequiredService<TracerProvider>();
        if (requireSources)
        {
            // The relays publish the journey's notices on the bus in the background: wait for MassTransit's spans.
            await Eventually.Within(TimeSpan.FromSeconds(30), () =>
            {
                tracer.ForceFlush();
                lock (server.Spans) return Task.FromResult(server.Spans.Any(s => s.Source.Name == "MassTransit"));
            }, "MassTransit's publish spans");
        }
        tracer.ForceFlush();
        meters.ForceFlush();
        List<string> spans;
        lock (server.Spans)
        {
            spans = [.. server.Spans.Select(s => $"span {s.DisplayName} {s.Source.Name} {s.StatusDescription} " +
                string.Join(' ', s.TagObjects.Select(t => $"{t.Key}={t.Value}")) + " " +
                string.Join(' ', s.Events.Select(e => e.Name + " " + string.Join(' ', e.Tags.Select(t => $"{t.Key}={t.Value}")))))];
            if (requireSources)
            {
                var sources = server.Spans.Select(s => s.Source.Name).ToHashSet();
                sources.ShouldContain("Microsoft.AspNetCore");
                sources.ShouldContain("Npgsql");
                sources.ShouldContain("MassTransit");
                sources.ShouldContain("Marten");
                sources.ShouldContain(Core.Access.PolicyTelemetry.Name);
            }
        }
        List<string> labels;
        lock (server.Metrics)
        {
            labels = [.. server.Metrics.SelectMany(m => m.MetricPoints.Select(p =>
            {
                var tags = new StringBuilder("metric ").Append(m.Name);
                foreach (var tag in p.Tags) tags.Append(' ').Append(tag.Key).Append('=').Append(tag.Value);
                return tags.ToString();
            }))];
            if (requireSources)
            {
                var names = server.Metrics.Select(m => m.Name).ToHashSet();
                names.ShouldContain("http.server.request.duration");
                names.ShouldContain("patchwork.policy.refusals");
                names.ShouldContain("patchwork.tokens.issued");
                names.ShouldContain("patchwork.notices.delivered");
            }
        }
        return (spans, labels, [.. server.LogLines]);
    }

    /// <summary>Every exported line holding one of the demo's or the journey's names, dates of birth, NHS numbers or postcodes.</summary>
    private static List<string> Scan(List<string> spans, List<string> labels, List<string> logs)
    {
        var personal = new List<string> { "Ellie", "Marsh-Whitfield", "Jayden", "O'Connor", Registered.Given, Registered.Family };
        personal.AddRange(DemoPartnership.Everyone.SelectMany(staff => staff.Name.Split(' ')).Where(part => part.Length > 2));
        foreach (var born in new[] { new DateOnly(2011, 4, 17), new DateOnly(2016, 9, 2), Registered.Born })
        {
            personal.Add(born.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            personal.Add(born.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture));
        }
        foreach (var nhs in new[] { "943 476 5919", "401 023 2137", Registered.NhsNumber })
        {
            personal.Add(nhs);
            personal.Add(nhs.Replace(" ", "", StringComparison.Ordinal));
        }
        foreach (var postcode in new[] { "WX1 2AB", "WX3 4CD", Registered.Postcode })
        {
            personal.Add(postcode);
            personal.Add(postcode.Replace(" ", "", StringComparison.Ordinal));
            personal.Add(postcode.Replace(" ", "+", StringComparison.Ordinal));
            personal.Add(postcode.Replace(" ", "%20", StringComparison.Ordinal));
        }
        // Whole words only: "Tom" is a name, "Custom" is not.
        var words = personal.Distinct().Select(value => (value, new Regex($"(?<![A-Za-z0-9]){Regex.Escape(value)}(?![A-Za-z0-9])", RegexOptions.IgnoreCase))).ToList();
        return [.. spans.Concat(labels).Concat(logs)
            .SelectMany(line => words.Where(word => word.Item2.IsMatch(line)).Select(word => $"{line} <= {word.value}"))];
    }

    /// <summary>A valid NHS number (modulus 11) no demo client has.</summary>
    private static string ValidNhsNumber()
    {
        for (var stem = 712_345_678; ; stem++)
        {
            var digits = stem.ToString(CultureInfo.InvariantCulture);
            var sum = digits.Select((d, i) => (d - '0') * (10 - i)).Sum();
            var check = 11 - sum % 11;
            if (check == 10) continue;
            var number = digits + (check == 11 ? 0 : check).ToString(CultureInfo.InvariantCulture);
            return $"{number[..3]} {number[3..6]} {number[6..]}";
        }
    }
}
