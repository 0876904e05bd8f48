namespace Patchwork.Web.Pages;

/// <summary>A form's errors in the order its fields appear, each keyed by the id of the input it links to.</summary>
public sealed class FormErrors
{
    private readonly List<(string Field, string Message)> _errors = [];

    public bool Any => _errors.Count > 0;

    public IReadOnlyList<(string Field, string Message)> All => _errors;

    public void Add(string field, string message)
    {
        if (!_errors.Any(e => e.Field == field)) _errors.Add((field, message));
    }

    public string? For(string field) => _errors.FirstOrDefault(e => e.Field == field).Message;
}
