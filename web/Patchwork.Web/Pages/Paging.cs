using Microsoft.AspNetCore.Http;

namespace Patchwork.Web.Pages;

/// <summary>
/// One page of a list that grows with the data (my clients, notifications, who viewed), newest first where the list has
/// an order in time, so that no page outgrows the page budget: <c>?page=N</c> from 1, a fixed number per page, and GOV.UK
/// pagination links (<c>_Pagination</c>) to the pages either side.
/// </summary>
public sealed record Paging(int Number, int Size, bool HasPrevious, bool HasNext, string Path, string Label)
{
    /// <summary>The most pages a list shows; older entries are for the export and the API.</summary>
    public const int MostPages = 40;

    /// <summary>The page asked for (1 when the query has none or nonsense), capped at <see cref="MostPages"/>.</summary>
    public static int Requested(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return int.TryParse(request.Query["page"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var page)
            && page is >= 1 and <= MostPages ? page : 1;
    }

    /// <summary>How many entries to read so that page <paramref name="number"/> and whether another follows are known.</summary>
    public static int ReadFor(int number, int size) => number * size + 1;

    /// <summary>This page's entries of a list read from its start, and the links either side.</summary>
    public static (IReadOnlyList<T> Entries, Paging Paging) Of<T>(IReadOnlyList<T> all, int number, int size, string path, string label)
    {
        ArgumentNullException.ThrowIfNull(all);
        var entries = all.Skip((number - 1) * size).Take(size).ToList();
        return (entries, new Paging(number, size, number > 1, all.Count > number * size && number < MostPages, path, label));
    }

    public string Link(int number) => number == 1 ? Path : $"{Path}?page={number}";
}
