using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Server.Tests.SignIn;
using Patchwork.Server.Tests.Threads;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// Every door the host maps is tried by someone: each route is in an authorization matrix (every kind of caller against a
/// literal table, through the real sign-in) or in the malformed-input sweep, or is on the short list of routes that are
/// public by design, each with its reason. A route added without either fails here, by name. The matrices and the sweep
/// declare their routes, each of their cells checks it reached the route it declares, and this test checks every
/// declared route is mapped, so the lists cannot drift from the host.
/// </summary>
public sealed class RouteCoverageTests(ApiServer server) : IClassFixture<ApiServer>
{
    /// <summary>
    /// Routes anyone may call, and why they need no matrix. OpenIddict answers its own endpoints (the metadata, the key set,
    /// revocation and introspection) in its middleware before routing, so they are not mapped routes; the token tests
    /// (TokenEndpointTests, RevocationAndIntrospectionTests) attack them.
    /// </summary>
    private static readonly Dictionary<string, string> Public = new()
    {
        ["ANY /health/live"] = "liveness for the load balancer; answers only that the process runs",
        ["ANY /health/ready"] = "readiness for the load balancer; answers only whether PostgreSQL and the broker are reachable",
        ["GET /openapi/{documentName}.json"] = "the API's published description; no data",
        ["POST /connect/token"] = "partner systems' token endpoint (client authentication is the door itself; TokenEndpointTests attack it)",
        ["GET /account/antiforgery"] = "hands any caller a token bound to its own session; reads nothing",
        ["POST /account/sign-in"] = "the sign-in door itself (SignInTests, SignInAttemptTests, SignInRateLimitTests)",
        ["POST /account/enrolment"] = "second step of the first sign-in, for the two-factor cookie's holder only (SignInTests)",
        ["POST /account/second-factor"] = "second step of sign-in, for the two-factor cookie's holder only (SignInTests, SignInAttemptTests)",
        ["POST /account/recovery-code"] = "second step of sign-in by recovery code (SignInTests)",
        ["POST /account/invitations/{token}"] = "accepting an emailed invitation: the 256-bit link is the credential (SignInTests, InvitationExpiryTests)",
        ["POST /account/sign-out"] = "ends the caller's own session, if any (SignInTests)",
        ["ANY /sign-in"] = "the sign-in page (SignInRateLimitTests and every browser journey)",
        ["ANY /sign-in/enrol"] = "the sign-in page's enrolment step, for the two-factor cookie's holder only",
        ["ANY /sign-in/code"] = "the sign-in page's authenticator code step, for the two-factor cookie's holder only",
        ["ANY /sign-in/recovery-code"] = "the sign-in page's recovery code step, for the two-factor cookie's holder only",
        ["ANY /sign-out"] = "ends the caller's own session, if any",
    };

    /// <summary>Every route a matrix or the sweep exercises, as each declares it.</summary>
    private static IEnumerable<(string Route, string By)> Declared() =>
        AuthorizationMatrixTests.Routes.Values.Select(route => (route, nameof(AuthorizationMatrixTests)))
            .Concat(AgreementsApiTests.Routes.Values.Select(route => (route, nameof(AgreementsApiTests))))
            .Concat(Insight.InsightApiTests.Routes.Values.Select(route => (route, nameof(Insight.InsightApiTests))))
            .Concat(BreakGlassReviewTests.Routes.Values.Select(route => (route, nameof(BreakGlassReviewTests))))
            .Concat(ThreadAuthorizationMatrixTests.Routes.Values.Select(route => (route, nameof(ThreadAuthorizationMatrixTests))))
            .Concat(ThreadNoticeMatrixTests.Routes.Values.Select(route => (route, nameof(ThreadNoticeMatrixTests))))
            .Concat(InvitationAuthorityTests.Routes.Values.Select(route => (route, nameof(InvitationAuthorityTests))))
            .Concat(PractitionerDoorsMatrixTests.Routes.Values.Select(route => (route, nameof(PractitionerDoorsMatrixTests))))
            .Concat(PageDoorsMatrixTests.Routes.Values.Select(route => (route, nameof(PageDoorsMatrixTests))))
            .Concat(Fhir.FhirDoorsMatrixTests.Routes.Values.Select(route => (route, nameof(Fhir.FhirDoorsMatrixTests))))
            .Concat(MalformedInputSweepTests.Endpoints.Select(endpoint => (endpoint.Route, nameof(MalformedInputSweepTests))));

    [Fact]
    public void Every_mapped_route_is_in_a_matrix_or_the_malformed_input_sweep_or_public_for_a_stated_reason()
    {
        var covered = Declared().Select(d => d.Route).ToHashSet(StringComparer.Ordinal);
        var unguarded = MappedRoutes().Where(route => !covered.Contains(route) && !Public.ContainsKey(route))
            .Order(StringComparer.Ordinal).ToList();
        unguarded.ShouldBeEmpty("in no matrix, not in the sweep and not public:" + Environment.NewLine + string.Join(Environment.NewLine, unguarded));
    }

    [Fact]
    public void Every_route_a_matrix_the_sweep_or_the_public_list_names_is_mapped()
    {
        var mapped = MappedRoutes().ToHashSet(StringComparer.Ordinal);
        var stale = Declared().Select(d => $"{d.Route} ({d.By})").Where(d => !mapped.Contains(d[..d.LastIndexOf(" (", StringComparison.Ordinal)]))
            .Concat(Public.Keys.Where(route => !mapped.Contains(route)).Select(route => $"{route} (public list)"))
            .ToList();
        stale.ShouldBeEmpty("declared but not mapped:" + Environment.NewLine + string.Join(Environment.NewLine, stale));
    }

    /// <summary>Every route the host maps, as "METHOD /pattern", one per method; "ANY" where it takes every method.</summary>
    private IEnumerable<string> MappedRoutes()
    {
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        foreach (var endpoint in endpoints)
        {
            if (IsStaticFile(endpoint)) continue;
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"];
            foreach (var method in methods) yield return $"{method} {MatchedRoute.Pattern(endpoint)}";
        }
    }

    /// <summary>One endpoint per file of the web project's build manifest (GOV.UK Frontend, styles, scripts): public, cacheable, no data.</summary>
    private static bool IsStaticFile(RouteEndpoint endpoint) =>
        endpoint.Metadata.Any(m => m.GetType().FullName?.StartsWith("Microsoft.AspNetCore.StaticAssets.", StringComparison.Ordinal) == true);
}
