using System.Text;

namespace Patchwork.Core.Clients;

/// <summary>
/// The canonical forms blind indexes are computed from, so that "O'Brien-Núñez" and "obrien nunez" find each other.
/// The table is explicit because the app runs with invariant globalization, where Unicode decomposition is unavailable.
/// </summary>
public static class Normalise
{
    // Latin-1 Supplement and Latin Extended-A letters, with the ASCII letters each folds to.
    private static readonly Dictionary<char, string> Folds = BuildFolds();

    /// <summary>Case-folded, accents removed, and everything but letters and digits (hyphens, apostrophes, spaces, dots) dropped.</summary>
    public static string FamilyName(string? name)
    {
        var folded = new StringBuilder((name ?? "").Length);
        foreach (var c in (name ?? "").ToLowerInvariant())
        {
            if (Folds.TryGetValue(c, out var ascii))
            {
                folded.Append(ascii);
            }
            else if (char.IsLetterOrDigit(c))
            {
                folded.Append(c);
            }
        }

        return folded.ToString();
    }

    /// <summary>Upper case with no spaces: "sw1a 1aa" becomes "SW1A1AA".</summary>
    public static string Postcode(string? postcode) =>
        string.Concat((postcode ?? "").Where(c => !char.IsWhiteSpace(c))).ToUpperInvariant();

    /// <summary>
    /// The outward code ("SW1A" of "SW1A 1AA"), the most a search result may show. The inward code is always a
    /// digit and two letters, so the district is what precedes it.
    /// </summary>
    public static Result<string> PostcodeDistrict(string? postcode)
    {
        var normal = Postcode(postcode);
        return normal.Length is < 5 or > 7
               || !char.IsAsciiDigit(normal[^3]) || !char.IsAsciiLetter(normal[^2]) || !char.IsAsciiLetter(normal[^1])
               || !char.IsAsciiLetter(normal[0]) || !normal[..^3].All(char.IsAsciiLetterOrDigit) || !normal[..^3].Any(char.IsAsciiDigit)
            ? Problem.Invalid("postcode", "is not a UK postcode")
            : normal[..^3];
    }

    private static Dictionary<char, string> BuildFolds()
    {
        var folds = new Dictionary<char, string>();
        void Add(string letters, string ascii)
        {
            foreach (var letter in letters)
            {
                folds[letter] = ascii;
            }
        }

        Add("àáâãäåāăą", "a");
        Add("æ", "ae");
        Add("çćĉċč", "c");
        Add("ďđð", "d");
        Add("èéêëēĕėęě", "e");
        Add("ĝğġģ", "g");
        Add("ĥħ", "h");
        Add("ìíîïĩīĭįı", "i");
        Add("ĳ", "ij");
        Add("ĵ", "j");
        Add("ķĸ", "k");
        Add("ĺļľŀł", "l");
        Add("ñńņňŉŋ", "n");
        Add("òóôõöøōŏő", "o");
        Add("œ", "oe");
        Add("ŕŗř", "r");
        Add("śŝşšșſ", "s");
        Add("ß", "ss");
        Add("ţťŧț", "t");
        Add("þ", "th");
        Add("ùúûüũūŭůűų", "u");
        Add("ŵ", "w");
        Add("ýÿŷ", "y");
        Add("źżž", "z");
        return folds;
    }
}
