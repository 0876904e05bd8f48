using System.Globalization;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace Patchwork.Web.Pages;

/// <summary>
/// GOV.UK Design System form fields as HTML (label, hint, error message, input), so every page writes them the same way:
/// errors are linked from the summary by the input's id, and described by aria-describedby.
/// </summary>
public static class Govuk
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public sealed record Option(string Value, string Label, string? Hint = null);

    public static IHtmlContent TextInput(FormErrors errors, string id, string label, string? value, string? hint = null, string type = "text",
        string? autocomplete = null, string widthClass = "", bool labelIsHeading = false, string? inputMode = null, bool spellcheck = true)
    {
        var error = errors.For(id);
        var describedBy = DescribedBy(id, hint, error);
        var input = $"<input class=\"govuk-input {widthClass}{(error is null ? "" : " govuk-input--error")}\" id=\"{E(id)}\" name=\"{E(id)}\" type=\"{type}\"" +
                    $"{Attr("value", value)}{Attr("autocomplete", autocomplete)}{Attr("inputmode", inputMode)}{(spellcheck ? "" : " spellcheck=\"false\"")}{Attr("aria-describedby", describedBy)}>";
        return Group(error, Label(id, label, labelIsHeading) + Hint(id, hint) + ErrorMessage(id, error) + input);
    }

    public static IHtmlContent Textarea(FormErrors errors, string id, string label, string? value, string? hint = null, int rows = 3)
    {
        var error = errors.For(id);
        var textarea = $"<textarea class=\"govuk-textarea{(error is null ? "" : " govuk-textarea--error")}\" id=\"{E(id)}\" name=\"{E(id)}\" rows=\"{rows}\"" +
                       $"{Attr("aria-describedby", DescribedBy(id, hint, error))}>{E(value)}</textarea>";
        return Group(error, Label(id, label, false) + Hint(id, hint) + ErrorMessage(id, error) + textarea);
    }

    /// <summary>Day, month and year boxes; the error links to the day box (id <c>{id}-day</c>).</summary>
    public static IHtmlContent DateInput(FormErrors errors, string id, string legend, DateParts value, string? hint = null)
    {
        var error = errors.For(id + "-day");
        var boxes = string.Concat(new[] { ("day", "Day", value.Day, "govuk-input--width-2"), ("month", "Month", value.Month, "govuk-input--width-2"),
            ("year", "Year", value.Year, "govuk-input--width-4") }.Select(part =>
            $"<div class=\"govuk-date-input__item\"><div class=\"govuk-form-group\"><label class=\"govuk-label govuk-date-input__label\" for=\"{E(id)}-{part.Item1}\">{part.Item2}</label>" +
            $"<input class=\"govuk-input govuk-date-input__input {part.Item4}{(error is null ? "" : " govuk-input--error")}\" id=\"{E(id)}-{part.Item1}\" name=\"{E(id)}-{part.Item1}\" type=\"text\" inputmode=\"numeric\"{Attr("value", part.Item3)}></div></div>"));
        return Fieldset(id, legend, hint, error, $"<div class=\"govuk-date-input\" id=\"{E(id)}\">{boxes}</div>");
    }

    /// <summary>Radios; the error links to the first option (id <c>{name}</c>), as the Design System asks.</summary>
    public static IHtmlContent Radios(FormErrors errors, string name, string legend, IEnumerable<Option> options, string? selected, string? hint = null,
        bool inline = false) =>
        Choices(errors, name, legend, options, value => value == selected, hint, "radio", inline ? "govuk-radios govuk-radios--inline" : "govuk-radios");

    public static IHtmlContent Checkboxes(FormErrors errors, string name, string legend, IEnumerable<Option> options, IReadOnlyCollection<string> selected,
        string? hint = null) =>
        Choices(errors, name, legend, options, selected.Contains, hint, "checkbox", "govuk-checkboxes");

    private static IHtmlContent Choices(FormErrors errors, string name, string legend, IEnumerable<Option> options, Func<string, bool> isChecked, string? hint,
        string type, string listClass)
    {
        var error = errors.For(name);
        var kind = type == "radio" ? "radios" : "checkboxes";
        var items = string.Concat(options.Select((option, index) =>
        {
            var id = index == 0 ? name : $"{name}-{index + 1}";
            var optionHint = option.Hint is null ? "" : $"<div id=\"{E(id)}-hint\" class=\"govuk-hint govuk-{kind}__hint\">{E(option.Hint)}</div>";
            return $"<div class=\"govuk-{kind}__item\"><input class=\"govuk-{kind}__input\" id=\"{E(id)}\" name=\"{E(name)}\" type=\"{type}\" value=\"{E(option.Value)}\"" +
                   $"{(isChecked(option.Value) ? " checked" : "")}{(option.Hint is null ? "" : $" aria-describedby=\"{E(id)}-hint\"")}>" +
                   $"<label class=\"govuk-label govuk-{kind}__label\" for=\"{E(id)}\">{E(option.Label)}</label>{optionHint}</div>";
        }));
        return Fieldset(name, legend, hint, error, $"<div class=\"{listClass}\" data-module=\"govuk-{kind}\">{items}</div>");
    }

    private static IHtmlContent Fieldset(string id, string legend, string? hint, string? error, string body)
    {
        var describedBy = DescribedBy(id, hint, error);
        var inner = $"<fieldset class=\"govuk-fieldset\" role=\"group\"{Attr("aria-describedby", describedBy)}>" +
                    $"<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--s\">{E(legend)}</legend>{Hint(id, hint)}{ErrorMessage(id, error)}{body}</fieldset>";
        return Group(error, inner);
    }

    private static HtmlString Group(string? error, string inner) =>
        new($"<div class=\"govuk-form-group{(error is null ? "" : " govuk-form-group--error")}\">{inner}</div>");

    private static string Label(string id, string label, bool isHeading) => isHeading
        ? $"<h1 class=\"govuk-label-wrapper\"><label class=\"govuk-label govuk-label--l\" for=\"{E(id)}\">{E(label)}</label></h1>"
        : $"<label class=\"govuk-label\" for=\"{E(id)}\">{E(label)}</label>";

    private static string Hint(string id, string? hint) => hint is null ? "" : $"<div id=\"{E(id)}-hint\" class=\"govuk-hint\">{E(hint)}</div>";

    private static string ErrorMessage(string id, string? error) => error is null ? ""
        : $"<p id=\"{E(id)}-error\" class=\"govuk-error-message\"><span class=\"govuk-visually-hidden\">Error:</span> {E(error)}</p>";

    private static string? DescribedBy(string id, string? hint, string? error) =>
        string.Join(' ', new[] { hint is null ? null : id + "-hint", error is null ? null : id + "-error" }.OfType<string>()) is { Length: > 0 } ids ? ids : null;

    private static string Attr(string name, string? value) => value is null ? "" : $" {name}=\"{E(value)}\"";

    private static string E(string? text) => Html.Encode(text ?? "");
}

/// <summary>A date as typed into three boxes, kept as typed so a mistake is shown back unchanged.</summary>
public sealed record DateParts(string? Day, string? Month, string? Year)
{
    public static DateParts Empty { get; } = new(null, null, null);

    public bool IsBlank => string.IsNullOrWhiteSpace(Day) && string.IsNullOrWhiteSpace(Month) && string.IsNullOrWhiteSpace(Year);

    public static DateParts Of(DateOnly date) => new(date.Day.ToString(CultureInfo.InvariantCulture), date.Month.ToString(CultureInfo.InvariantCulture),
        date.Year.ToString(CultureInfo.InvariantCulture));

    public static DateParts From(Microsoft.AspNetCore.Http.IFormCollection form, string id) => new(form[id + "-day"], form[id + "-month"], form[id + "-year"]);

    public DateOnly? ToDate() =>
        int.TryParse(Day, NumberStyles.None, CultureInfo.InvariantCulture, out var day) &&
        int.TryParse(Month, NumberStyles.None, CultureInfo.InvariantCulture, out var month) &&
        int.TryParse(Year, NumberStyles.None, CultureInfo.InvariantCulture, out var year) && year is >= 1900 and <= 9999 &&
        month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            ? new DateOnly(year, month, day)
            : null;
}
