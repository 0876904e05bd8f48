namespace Patchwork.Core.Clients;

/// <summary>A valid NHS number: ten digits whose last is the modulus 11 check digit of the first nine.</summary>
public readonly record struct NhsNumber
{
    private NhsNumber(string digits) => Digits = digits;

    /// <summary>The ten digits with no separators, the form blind indexes are computed from.</summary>
    public string Digits { get; }

    /// <summary>Accepts the digits with any spaces a person typed ("943 476 5919").</summary>
    public static Result<NhsNumber> Parse(string? input)
    {
        var digits = string.Concat((input ?? "").Where(c => !char.IsWhiteSpace(c)));
        return digits.Length != 10 || !digits.All(char.IsAsciiDigit) ? Problem.Invalid("nhsNumber", "an NHS number has 10 digits")
            : CheckDigit(digits) != digits[9] - '0' ? Problem.Invalid("nhsNumber", "is not a valid NHS number (its check digit does not match)")
            : new NhsNumber(digits);
    }

    public static bool IsValid(string? input) => Parse(input).IsSuccess;

    /// <summary>Weights 10 down to 2; 11 minus the remainder, where 11 means 0 and 10 means no valid number.</summary>
    private static int CheckDigit(string digits)
    {
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (digits[i] - '0') * (10 - i);
        }

        var check = 11 - (sum % 11);
        return check == 11 ? 0 : check;
    }

    /// <summary>The conventional 3-3-4 grouping for display.</summary>
    public override string ToString() => Digits is null ? "" : $"{Digits[..3]} {Digits[3..6]} {Digits[6..]}";
}
