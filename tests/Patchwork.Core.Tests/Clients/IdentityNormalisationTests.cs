using Patchwork.Core.Clients;

namespace Patchwork.Core.Tests.Clients;

public sealed class IdentityNormalisationTests
{
    [Theory]
    [InlineData("9434765919")]
    [InlineData("943 476 5919")]
    [InlineData(" 943 476 5919 ")]
    [InlineData("4010232137")]
    [InlineData("9999999999")]
    public void Valid_nhs_numbers_are_accepted_with_or_without_spaces(string input) =>
        NhsNumber.Parse(input).ShouldSucceed().Digits.ShouldBe(input.Replace(" ", "", StringComparison.Ordinal));

    [Theory]
    [InlineData("9434765918", "check digit")]
    [InlineData("943476591", "10 digits")]
    [InlineData("94347659190", "10 digits")]
    [InlineData("943-476-5919", "10 digits")]
    [InlineData("94347659l9", "10 digits")]
    [InlineData("", "10 digits")]
    [InlineData(null, "10 digits")]
    public void Invalid_nhs_numbers_are_refused_with_the_reason(string? input, string reason)
    {
        var problem = NhsNumber.Parse(input).Problem.ShouldNotBeNull();
        problem.Field.ShouldBe("nhsNumber");
        problem.Detail.ShouldContain(reason);
    }

    [Fact]
    public void A_check_of_ten_means_no_valid_number_exists()
    {
        // 1*10 + 1*2 = 12, remainder 1, so the check digit would have to be 10.
        foreach (var last in "0123456789")
        {
            NhsNumber.IsValid("100000001" + last).ShouldBeFalse();
        }
    }

    [Fact]
    public void A_check_of_eleven_means_zero() =>
        NhsNumber.IsValid("1000000060").ShouldBeTrue(); // 1*10 + 6*2 = 22, remainder 0, so 11, written 0.

    [Fact]
    public void Every_nine_digit_prefix_has_at_most_one_valid_check_digit()
    {
        var random = new Random(7);
        for (var n = 0; n < 2_000; n++)
        {
            var prefix = random.Next(0, 1_000_000_000).ToString("D9", System.Globalization.CultureInfo.InvariantCulture);
            "0123456789".Count(d => NhsNumber.IsValid(prefix + d)).ShouldBeLessThanOrEqualTo(1);
        }
    }

    [Fact]
    public void An_nhs_number_displays_in_three_groups() =>
        NhsNumber.Parse("9434765919").Value.ToString().ShouldBe("943 476 5919");

    [Theory]
    [InlineData("O'Brien", "obrien")]
    [InlineData("O’Brien", "obrien")]
    [InlineData("obrien", "obrien")]
    [InlineData("Smith-Jones", "smithjones")]
    [InlineData("Smith Jones", "smithjones")]
    [InlineData("  SMITH  jones ", "smithjones")]
    [InlineData("Núñez", "nunez")]
    [InlineData("Müller", "muller")]
    [InlineData("Łukasz-Żółć", "lukaszzolc")]
    [InlineData("Ørsted", "orsted")]
    [InlineData("Straße", "strasse")]
    [InlineData("Ţepeş", "tepes")]
    [InlineData("Nu\u0301n\u0303ez", "nunez")]
    [InlineData("St. John", "stjohn")]
    [InlineData(null, "")]
    public void Family_names_fold_case_accents_hyphens_apostrophes_and_spaces(string? name, string expected) =>
        Normalise.FamilyName(name).ShouldBe(expected);

    [Theory]
    [InlineData("sw1a 1aa", "SW1A1AA")]
    [InlineData(" M1  1AE ", "M11AE")]
    [InlineData("b338th", "B338TH")]
    public void Postcodes_are_upper_case_without_spaces(string postcode, string expected) =>
        Normalise.Postcode(postcode).ShouldBe(expected);

    [Theory]
    [InlineData("SW1A 1AA", "SW1A")]
    [InlineData("m1 1ae", "M1")]
    [InlineData("B33 8TH", "B33")]
    [InlineData("CR2 6XH", "CR2")]
    [InlineData("DN551PT", "DN55")]
    [InlineData("W1A 0AX", "W1A")]
    public void The_postcode_district_is_the_outward_code(string postcode, string district) =>
        Normalise.PostcodeDistrict(postcode).ShouldSucceed().ShouldBe(district);

    [Theory]
    [InlineData("")]
    [InlineData("SW1A")]
    [InlineData("12345")]
    [InlineData("SW1A 1A1")]
    [InlineData("SWAA 1AA")]
    [InlineData("SW1A1AAAA")]
    public void Something_that_is_not_a_postcode_has_no_district(string postcode) =>
        Normalise.PostcodeDistrict(postcode).ShouldBeInvalid("postcode");

    [Fact]
    public void A_search_match_with_an_unusable_postcode_shows_no_district() =>
        SearchMatch.Of(ClientId.New(), "Alex", "Smith", new DateOnly(2011, 3, 4), "nowhere").PostcodeDistrict.ShouldBeNull();
}
