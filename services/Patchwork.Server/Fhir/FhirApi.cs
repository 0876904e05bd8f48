using System.Text.Json;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Primitives;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Api.Clients;
using Patchwork.Server.SignIn;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Fhir;

/// <summary>
/// The FHIR R4 read door for partner systems (issue 24): Patient search, CareTeam and Consent, each behind its SMART
/// system scope and each through the same search and team read as the API — one policy, one audit entry per read, on
/// channel <c>fhir</c>, with the purpose the caller states in <see cref="PurposeHeader"/>.
/// </summary>
public static class FhirApi
{
    public const string Prefix = "/fhir/r4";
    public const string PurposeHeader = "X-Purpose-Of-Use";
    public const string MediaType = "application/fhir+json";

    public const string ConsentReadAction = "client.consents.read";

    internal static readonly JsonSerializerOptions Json = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    public static WebApplication MapPatchworkFhir(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Answers the framework gives without a body (405, an unmapped FHIR path) become OperationOutcomes too.
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Prefix), fhir => fhir.Use(async (context, next) =>
        {
            await next(context);
            if (context.Response is { HasStarted: false, StatusCode: >= 400, ContentLength: null } response && response.ContentType is null)
                await WriteOutcomeAsync(context);
        }));

        var fhir = app.MapGroup(Prefix).DisableAntiforgery();
        // The capability statement is public, as FHIR and SMART discovery expect: it says what the door does, holds no data.
        fhir.MapGet("/metadata", (HttpContext http, PractitionerSignInOptions options, TimeProvider clock) =>
                new FhirResult(FhirCapabilities.Statement(BaseUrl(http, options), clock.GetUtcNow())))
            .AllowAnonymous().WithName("FhirCapabilities").ExcludeFromDescription();
        fhir.MapGet("/Patient", (HttpContext http, ClientReads clients, PractitionerSignInOptions options, TimeProvider clock, CancellationToken ct) =>
                PatientsAsync(http, clients, options, clock, ct))
            .RequirePartnerScope(PartnerScopes.FhirPatient).RequireRateLimiting(ClientsApi.SearchRateLimit).WithName("FhirSearchPatient").ExcludeFromDescription();
        fhir.MapGet("/CareTeam", (HttpContext http, ClientReads clients, PractitionerSignInOptions options, CancellationToken ct) =>
                CareTeamsAsync(http, clients, options, ct))
            .RequirePartnerScope(PartnerScopes.FhirCareTeam).WithName("FhirSearchCareTeam").ExcludeFromDescription();
        fhir.MapGet("/Consent", (HttpContext http, ClientReads clients, PractitionerSignInOptions options, CancellationToken ct) =>
                ConsentsAsync(http, clients, options, ct))
            .RequirePartnerScope(PartnerScopes.FhirConsent).WithName("FhirSearchConsent").ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// <c>identifier=https://fhir.nhs.uk/Id/nhs-number|{n}</c>: the API's search by NHS number, answered with a Patient that
    /// holds our id and the identifier searched by — that a match exists, never who (rule 4).
    /// </summary>
    private static async Task<FhirResult> PatientsAsync(HttpContext http, ClientReads clients, PractitionerSignInOptions options, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        RequestAudit.MarkChannel(http, AuditChannel.Fhir);
        if (Unsupported(http, "identifier") is { } unsupported) return unsupported;
        if (Purpose(http, out var purpose) is { } noPurpose) return noPurpose;
        var identifier = http.Request.Query["identifier"];
        if (identifier.Count != 1 || identifier[0]?.Split('|') is not [FhirCodes.NhsNumberSystem, { Length: > 0 } digits])
            return Invalid("identifier", $"search by one NHS number, as {FhirCodes.NhsNumberSystem}|{{ten digits}}");
        if (http.RequestServices.GetService<ClientIdentityVault>() is null)
            return Error(StatusCodes.Status503ServiceUnavailable, OperationOutcome.IssueType.Transient, "the identity vault is not configured");
        var found = await clients.FindAsync(http, CurrentActor.From(http.User)!, new ClientSearchQuery(digits, null, null, null, null, purpose), null,
            ClientIdentityVault.LargestSearchPage, cancellationToken);
        if (found.Problem is { } problem) return From(problem, field => field == "nhsNumber" ? "identifier" : field);
        var normalised = NhsNumber.Parse(digits).Value.Digits;
        return new FhirResult(FhirResources.SearchSet(BaseUrl(http, options),
            [.. found.Value.Matches.Select(m => FhirResources.PatientMatch(m.Client, normalised))], clock.GetUtcNow()));
    }

    /// <summary><c>patient={id}</c>: the team as the API's team read shows it to the caller's organisation, or 404.</summary>
    private static async Task<FhirResult> CareTeamsAsync(HttpContext http, ClientReads clients, PractitionerSignInOptions options, CancellationToken cancellationToken)
    {
        RequestAudit.MarkChannel(http, AuditChannel.Fhir);
        if (Unsupported(http, "patient") is { } unsupported) return unsupported;
        if (Patient(http, out var client) is { } badPatient) return badPatient;
        if (Purpose(http, out var purpose) is { } noPurpose) return noPurpose;
        if (await clients.ReadTeamAsync(http, CurrentActor.From(http.User)!, client, purpose, ClientReads.TeamReadAction, cancellationToken) is not { } read)
            return NoSuchPatient();
        return new FhirResult(FhirResources.SearchSet(BaseUrl(http, options), [FhirResources.CareTeam(read.Team, read.Partnership)], read.At));
    }

    /// <summary><c>patient={id}</c>: the consents and lawful bases the policy lets the caller read, behind the same 404 as the team.</summary>
    private static async Task<FhirResult> ConsentsAsync(HttpContext http, ClientReads clients, PractitionerSignInOptions options, CancellationToken cancellationToken)
    {
        RequestAudit.MarkChannel(http, AuditChannel.Fhir);
        if (Unsupported(http, "patient") is { } unsupported) return unsupported;
        if (Patient(http, out var client) is { } badPatient) return badPatient;
        if (Purpose(http, out var purpose) is { } noPurpose) return noPurpose;
        var caller = CurrentActor.From(http.User)!;
        if (await clients.ReadTeamAsync(http, caller, client, purpose, ConsentReadAction, cancellationToken) is not { } read) return NoSuchPatient();
        var bases = AccessPolicy.SharingBasesOf(read.Sharing, read.Partnership, caller.Viewer);
        return new FhirResult(FhirResources.SearchSet(BaseUrl(http, options),
            [.. FhirResources.Consents(client, bases, read.Partnership, read.At)], read.At));
    }

    /// <summary>The one parameter each search takes (and <c>_format=json</c>); anything else is named as unsupported, not ignored.</summary>
    private static FhirResult? Unsupported(HttpContext http, string supported)
    {
        foreach (var (name, values) in http.Request.Query)
        {
            if (name == supported) continue;
            if (name == "_format" && values.All(v => v is "json" or MediaType or "application/json")) continue;
            return Invalid(name, $"is not supported here: this search takes {supported} only (see {Prefix}/metadata)");
        }
        return null;
    }

    private static FhirResult? Patient(HttpContext http, out ClientId client)
    {
        client = default;
        StringValues values = http.Request.Query["patient"];
        var value = values.Count == 1 ? values[0] : null;
        if (value?.StartsWith("Patient/", StringComparison.Ordinal) == true) value = value["Patient/".Length..];
        if (!Guid.TryParse(value, out var id)) return Invalid("patient", "give one patient id, as {id} or Patient/{id}");
        client = new ClientId(id);
        return null;
    }

    private static FhirResult? Purpose(HttpContext http, out string purpose)
    {
        purpose = http.Request.Headers[PurposeHeader].ToString();
        if (string.IsNullOrWhiteSpace(purpose) || purpose.Length > ClientReads.MaxPurposeLength || !Text.IsPlain(purpose, multiLine: false))
            return Invalid(PurposeHeader, $"say why you are reading, as plain text of 1 to {ClientReads.MaxPurposeLength} characters in the {PurposeHeader} header");
        return null;
    }

    private static FhirResult Invalid(string field, string reason) =>
        new(FhirResources.Outcome(OperationOutcome.IssueType.Invalid, reason, field), StatusCodes.Status400BadRequest);

    private static FhirResult NoSuchPatient() =>
        new(FhirResources.Outcome(OperationOutcome.IssueType.NotFound, "no such patient"), StatusCodes.Status404NotFound);

    private static FhirResult Error(int status, OperationOutcome.IssueType code, string diagnostics) => new(FhirResources.Outcome(code, diagnostics), status);

    private static FhirResult From(Problem problem, Func<string, string> field) => problem.Kind switch
    {
        ProblemKind.Invalid => Invalid(field(problem.Field ?? "request"), problem.Detail),
        ProblemKind.NotFound => NoSuchPatient(),
        ProblemKind.Forbidden => Error(StatusCodes.Status403Forbidden, OperationOutcome.IssueType.Forbidden, problem.Detail),
        ProblemKind.Unavailable => Error(StatusCodes.Status503ServiceUnavailable, OperationOutcome.IssueType.Transient, problem.Detail),
        _ => Error(StatusCodes.Status409Conflict, OperationOutcome.IssueType.Conflict, problem.Detail),
    };

    /// <summary>The FHIR base as the host is published (SignIn:PublicBaseUrl), never the Host header a caller chose.</summary>
    internal static string BaseUrl(HttpContext http, PractitionerSignInOptions options) =>
        new Uri(Hosting.PublicOrigin.For(options.PublicBaseUrl, http.RequestServices.GetRequiredService<IConfiguration>()), Prefix.TrimStart('/')).ToString();

    /// <summary>An OperationOutcome for an answer that has none yet: the refusals of the token check, 405, and unmapped paths.</summary>
    internal static Task WriteOutcomeAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var (code, text) = status switch
        {
            StatusCodes.Status401Unauthorized => (OperationOutcome.IssueType.Login, "a partner system's access token is required (Authorization: Bearer)"),
            StatusCodes.Status403Forbidden => (OperationOutcome.IssueType.Forbidden, "the access token does not carry the scope this search needs"),
            StatusCodes.Status404NotFound => (OperationOutcome.IssueType.NotFound, $"no such FHIR interaction here (see {Prefix}/metadata)"),
            StatusCodes.Status405MethodNotAllowed => (OperationOutcome.IssueType.NotSupported, "this FHIR door only reads"),
            StatusCodes.Status429TooManyRequests => (OperationOutcome.IssueType.Throttled, "too many searches; retry after the stated delay"),
            _ => (OperationOutcome.IssueType.Processing, "the request could not be answered"),
        };
        return new FhirResult(FhirResources.Outcome(code, text), status).ExecuteAsync(context);
    }
}

/// <summary>A FHIR resource as <c>application/fhir+json</c>, private to its caller.</summary>
public sealed class FhirResult(Resource resource, int status = StatusCodes.Status200OK) : IResult
{
    public Resource Resource { get; } = resource;

    public int StatusCode { get; } = status;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.StatusCode = StatusCode;
        httpContext.Response.ContentType = FhirApi.MediaType + "; charset=utf-8";
        httpContext.Response.Headers.CacheControl = "private, no-store";
        await JsonSerializer.SerializeAsync(httpContext.Response.Body, Resource, Resource.GetType(), FhirApi.Json, httpContext.RequestAborted);
    }
}
