using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Patchwork.Contracts.V1;

namespace Patchwork.Contracts.Tests;

/// <summary>
/// The examples in contracts/README.md are the wire format partners implement: each must read into its record
/// with nothing missing and nothing extra, and every record must have an example.
/// </summary>
public sealed partial class WireFormatTests
{
    private static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly Type[] Records = typeof(IPartnerNotice).Assembly.GetTypes()
        .Where(type => type.IsClass && (typeof(IPartnerNotice).IsAssignableFrom(type) || typeof(IPartnerCommand).IsAssignableFrom(type)))
        .ToArray();

    public static TheoryData<string> DocumentedRecords => [.. Examples().Keys];

    [Theory]
    [MemberData(nameof(DocumentedRecords))]
    public void The_documented_example_reads_into_the_record_and_writes_back_the_same(string record)
    {
        var type = Records.Single(t => t.Name == record);
        var example = Examples()[record];

        var read = JsonSerializer.Deserialize(example, type, Wire)!;
        var written = JsonSerializer.SerializeToNode(read, type, Wire)!;

        JsonNode.DeepEquals(written, JsonNode.Parse(example)).ShouldBeTrue($"{record}: {written.ToJsonString()}");
    }

    [Fact]
    public void Every_message_record_is_documented()
    {
        Records.ShouldNotBeEmpty();
        Records.Select(t => t.Name).ShouldBe(Examples().Keys, ignoreOrder: true);
    }

    [Fact]
    public void Notices_carry_ids_a_position_and_times_only()
    {
        var allowed = new[] { typeof(Guid), typeof(long), typeof(DateTimeOffset), typeof(DateOnly) };
        foreach (var notice in Records.Where(typeof(IPartnerNotice).IsAssignableFrom))
            notice.GetProperties().ShouldAllBe(p => allowed.Contains(p.PropertyType), $"{notice.Name} carries something other than ids, a position or times");
    }

    [Fact]
    public void The_contracts_depend_on_nothing_but_the_runtime()
    {
        typeof(IPartnerNotice).Assembly.GetReferencedAssemblies().Select(a => a.Name)
            .ShouldAllBe(name => name == "System.Runtime" || name!.StartsWith("System.", StringComparison.Ordinal));
    }

    private static Dictionary<string, string> Examples()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "contracts", "README.md"));
        return ExampleBlock().Matches(readme).ToDictionary(m => m.Groups["record"].Value, m => m.Groups["json"].Value);
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Patchwork.sln"))) return d.FullName;
        throw new InvalidOperationException("Patchwork.sln not found above the test's folder");
    }

    [GeneratedRegex(@"<!-- example: (?<record>\w+) -->\s*```json\s*(?<json>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ExampleBlock();
}
