using System.Text.Json;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace Patchwork.Server.Tests.Fhir;

/// <summary>
/// Firely's validator against the base R4 specification, offline (the specification.zip that Hl7.Fhir.Specification.Data.R4
/// copies beside the tests), with no profile of our own: what Patchwork produces must be valid FHIR as published.
/// </summary>
public static class FhirValidation
{
    private static readonly Lock Gate = new();
    private static readonly Lazy<Validator> Instance = new(() =>
    {
        var specification = new CachedResolver(ZipSource.CreateValidationSource());
        return new Validator(specification, LocalTerminologyService.CreateDefaultForCore(specification));
    });

    public static readonly JsonSerializerOptions Json = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    /// <summary>The validator's errors (and fatal issues) about <paramref name="resource"/>, each with where it was found.</summary>
    public static IReadOnlyList<string> Errors(Resource resource)
    {
        OperationOutcome outcome;
        lock (Gate) outcome = Instance.Value.Validate(resource);
        return [.. outcome.Issue
            .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
            .Select(i => $"{i.Details?.Text ?? i.Diagnostics} at {string.Join(", ", i.Expression ?? [])}")];
    }

    /// <summary>All issues, warnings included, for a failure message.</summary>
    public static string Report(Resource resource)
    {
        lock (Gate) return string.Join(Environment.NewLine, Instance.Value.Validate(resource).Issue.Select(i => $"{i.Severity}: {i.Details?.Text} at {string.Join(", ", i.Expression ?? [])}"));
    }

    /// <summary>Parses an answer strictly (an unknown element fails here) and asserts it validates with 0 errors.</summary>
    public static T ShouldBeValid<T>(string json) where T : Resource
    {
        var resource = JsonSerializer.Deserialize<T>(json, Json)!;
        var errors = Errors(resource);
        errors.ShouldBeEmpty($"{typeof(T).Name} is not valid R4:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}{Environment.NewLine}{json}");
        return resource;
    }
}
