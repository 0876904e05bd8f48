namespace Patchwork.Core.Tests;

/// <summary>Assertions on decide results that read as the outcome they expect.</summary>
public static class Decisions
{
    public static T ShouldSucceed<T>(this Result<T> result)
    {
        result.Problem.ShouldBeNull();
        return result.Value;
    }

    public static void ShouldBeInvalid<T>(this Result<T> result, string field)
    {
        result.Problem.ShouldNotBeNull($"expected {field} to be refused, but the decision succeeded");
        result.Problem.Kind.ShouldBe(ProblemKind.Invalid, result.Problem.ToString());
        result.Problem.Field.ShouldBe(field);
    }

    public static void ShouldBeRefused<T>(this Result<T> result, ProblemKind kind)
    {
        result.Problem.ShouldNotBeNull($"expected {kind}, but the decision succeeded");
        result.Problem.Kind.ShouldBe(kind, result.Problem.ToString());
    }
}
