namespace Patchwork.Core;

/// <summary>Either the outcome of a decision or the <see cref="Core.Problem"/> that refused it.</summary>
public sealed class Result<T>
{
    private readonly T? value;

    private Result(T? value, Problem? problem)
    {
        this.value = value;
        Problem = problem;
    }

    public Problem? Problem { get; }

    public bool IsSuccess => Problem is null;

    /// <summary>The outcome; reading it from a refusal is a programming error, hence the exception.</summary>
    public T Value => Problem is null ? value! : throw new InvalidOperationException($"The decision was refused: {Problem}");

    public static Result<T> Success(T value) => new(value, null);

    public static Result<T> Failure(Problem problem) => new(default, problem);

#pragma warning disable CA2225 // The named factories above are the alternates; the conversions keep decide functions readable.
    public static implicit operator Result<T>(T value) => Success(value);

    public static implicit operator Result<T>(Problem problem) => Failure(problem);
#pragma warning restore CA2225

    public TOut Match<TOut>(Func<T, TOut> success, Func<Problem, TOut> failure) =>
        Problem is null ? success(value!) : failure(Problem);

    public Result<TOut> Map<TOut>(Func<T, TOut> map) =>
        Problem is null ? Result<TOut>.Success(map(value!)) : Result<TOut>.Failure(Problem);

    public Result<TOut> Bind<TOut>(Func<T, Result<TOut>> next) =>
        Problem is null ? next(value!) : Result<TOut>.Failure(Problem);

    public override string ToString() => Problem is null ? $"Success({value})" : $"Failure({Problem})";
}
