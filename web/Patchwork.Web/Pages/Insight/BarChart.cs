using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;

namespace Patchwork.Web.Pages.Insight;

/// <summary>One bar of a chart: its label, and its value (null when it is not shown, such as "fewer than 5").</summary>
public sealed record Bar(string Label, int? Value);

/// <summary>
/// Bar charts drawn on the server as SVG: no chart library and no script. Each is an image to assistive technology
/// (role="img", named by its title and described by its description), and the page puts the same figures in a table beside
/// it. It scales with its container, so at 320 px it shrinks rather than overflows; its text is sized for that.
/// </summary>
public static class BarChart
{
    private const int Width = 640;
    private const int Height = 280;
    private const int Left = 44;
    private const int Bottom = 236;
    private const int Top = 44;

    /// <summary>
    /// Bars in series side by side, one group per label (the first series' labels): a series is a name, a colour class and
    /// its bars. Bars not shown are marked "&lt;5" where they would stand.
    /// </summary>
    public static IHtmlContent Draw(string id, string title, string description, IReadOnlyList<(string Name, string Css, IReadOnlyList<Bar> Bars)> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var html = HtmlEncoder.Default;
        var groups = series[0].Bars.Count;
        var max = Math.Max(5, series.SelectMany(s => s.Bars).Max(b => b.Value ?? 0));
        var step = NiceStep(max);
        var top = (int)Math.Ceiling(max / (double)step) * step;
        var groupWidth = (Width - Left - 8) / (double)groups;
        var barWidth = Math.Min(22, (groupWidth - 6) / series.Count);
        double Y(int value) => Bottom - (Bottom - Top) * value / (double)top;
        string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"patchwork-chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" id=\"{id}\" focusable=\"false\">");
        svg.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}-title\">{html.Encode(title)}</title><desc id=\"{id}-desc\">{html.Encode(description)}</desc>");
        // The legend, then the scale's lines and numbers, then the bars.
        var x = (double)Left;
        foreach (var (name, css, _) in series)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"{css}\" x=\"{N(x)}\" y=\"8\" width=\"18\" height=\"18\"/><text x=\"{N(x + 24)}\" y=\"23\" class=\"patchwork-chart__text\">{html.Encode(name)}</text>");
            x += 30 + name.Length * 10;
        }
        for (var tick = 0; tick <= top; tick += step)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - 4}\" y1=\"{N(Y(tick))}\" y2=\"{N(Y(tick))}\" class=\"patchwork-chart__grid\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{N(Y(tick) + 6)}\" text-anchor=\"end\" class=\"patchwork-chart__text\">{tick}</text>");
        }
        for (var g = 0; g < groups; g++)
        {
            var groupX = Left + g * groupWidth + 3;
            for (var s = 0; s < series.Count; s++)
            {
                var bar = series[s].Bars[g];
                var barX = groupX + s * barWidth;
                if (bar.Value is { } value)
                    svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"{series[s].Css}\" x=\"{N(barX)}\" y=\"{N(Y(value))}\" width=\"{N(barWidth - 1)}\" height=\"{N(Bottom - Y(value))}\"/>");
                else
                    svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(barX + barWidth / 2)}\" y=\"{Bottom - 4}\" text-anchor=\"middle\" class=\"patchwork-chart__small\">&lt;5</text>");
            }
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(groupX + groupWidth / 2 - 3)}\" y=\"{Bottom + 24}\" text-anchor=\"middle\" class=\"patchwork-chart__text\">{html.Encode(series[0].Bars[g].Label)}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - 4}\" y1=\"{Bottom}\" y2=\"{Bottom}\" class=\"patchwork-chart__axis\"/>");
        svg.Append("</svg>");
        return new HtmlString(svg.ToString());
    }

    private static int NiceStep(int max) => max switch
    {
        <= 10 => 2,
        <= 25 => 5,
        <= 50 => 10,
        <= 100 => 20,
        _ => (int)Math.Pow(10, Math.Floor(Math.Log10(max))) / (max / Math.Pow(10, Math.Floor(Math.Log10(max))) < 3 ? 2 : 1),
    };
}
