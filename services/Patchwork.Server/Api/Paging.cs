using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Patchwork.Core;

namespace Patchwork.Server.Api;

/// <summary>
/// Lists answer one page at a time: <c>limit</c> (1 to the list's largest page) and <c>after</c>, the id of the last item
/// of the page before. When more follow, the response's <c>Link</c> header names the next page (<c>rel="next"</c>, RFC
/// 8288), so a list of any length costs a caller, and the host, one page per request.
/// </summary>
public static class Paging
{
    public const int DefaultLimit = 50;
    public const int LargestLimit = 200;

    /// <summary>The page size asked for, or a problem naming <c>limit</c>.</summary>
    public static bool TryLimit(int? limit, int largest, out int count, out ValidationProblem? problem)
    {
        count = limit ?? Math.Min(DefaultLimit, largest);
        problem = limit is < 1 || limit > largest ? ApiProblems.Invalid("limit", $"is between 1 and {largest}") : null;
        return problem is null;
    }

    /// <summary>
    /// One page of a list already in order, after the item whose id is <paramref name="after"/>; null with a problem naming
    /// <c>after</c> when no item has that id. The next page's <c>Link</c> is set on the response when more follow.
    /// </summary>
    public static List<T>? Page<T>(HttpContext http, IReadOnlyList<T> ordered, Func<T, Guid> id, Guid? after, int count, out ValidationProblem? problem)
    {
        ArgumentNullException.ThrowIfNull(ordered);
        ArgumentNullException.ThrowIfNull(id);
        problem = null;
        var start = 0;
        if (after is { } last)
        {
            var index = ordered.Select(id).ToList().IndexOf(last);
            if (index < 0)
            {
                problem = ApiProblems.Invalid("after", NotInList);
                return null;
            }
            start = index + 1;
        }
        var page = ordered.Skip(start).Take(count).ToList();
        if (start + count < ordered.Count) SetNext(http, id(page[^1]), count);
        return page;
    }

    /// <summary>As <see cref="Page{T}(HttpContext, IReadOnlyList{T}, Func{T, Guid}, Guid?, int, out ValidationProblem?)"/>, with the refusal as a domain problem.</summary>
    public static Result<List<T>> PageOf<T>(HttpContext http, IReadOnlyList<T> ordered, Func<T, Guid> id, Guid? after, int count) =>
        Page(http, ordered, id, after, count, out _) is { } page ? page : Problem.Invalid("after", NotInList);

    private const string NotInList = "is not the id of an item in this list";

    /// <summary>Names the next page in the <c>Link</c> header: this request's own URL with <c>after</c> and <c>limit</c> replaced.</summary>
    public static void SetNext(HttpContext http, Guid after, int count)
    {
        ArgumentNullException.ThrowIfNull(http);
        var query = QueryHelpers.ParseQuery(http.Request.QueryString.Value);
        var next = new QueryBuilder();
        foreach (var (key, values) in query)
            if (!key.Equals("after", StringComparison.OrdinalIgnoreCase) && !key.Equals("limit", StringComparison.OrdinalIgnoreCase))
                foreach (var value in values) next.Add(key, value ?? "");
        next.Add("after", after.ToString());
        next.Add("limit", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        http.Response.Headers.Append("Link", $"<{http.Request.PathBase}{http.Request.Path}{next}>; rel=\"next\"");
    }
}
