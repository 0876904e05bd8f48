using Microsoft.Extensions.Logging;

namespace Patchwork.Server.Tokens;

/// <summary>
/// OpenIddict writes every token it creates or validates, whole, at Trace ("A new access_token JSON Web Token was
/// successfully created: eyJ…"): a live credential in the log. So its categories never log below Debug, whatever the
/// configuration asks (a Trace set to chase a partner's problem would otherwise leak tokens). Debug and above carry
/// client ids and redacted requests only (<c>TokenRefusalLogTests</c>).
/// </summary>
internal static class TokenLogging
{
    public const string Category = "OpenIddict";

    public static IServiceCollection AddOpenIddictLogFloor(this IServiceCollection services) =>
        // PostConfigure: after the configuration's rules are bound, and again whenever they are reloaded.
        services.PostConfigure<LoggerFilterOptions>(options =>
        {
            var rules = options.Rules.ToList();
            foreach (var rule in rules.Where(rule => (rule.LogLevel ?? LogLevel.Trace) < LogLevel.Debug))
            {
                var category = rule.CategoryName?.Split('*')[0];
                if (category is not null && category.StartsWith(Category, StringComparison.OrdinalIgnoreCase))
                {
                    // A rule for (part of) OpenIddict: the same rule at Debug, added later, wins over it.
                    options.Rules.Add(new LoggerFilterRule(rule.ProviderName, rule.CategoryName, LogLevel.Debug, rule.Filter));
                }
                else if ((category is null || Category.StartsWith(category, StringComparison.OrdinalIgnoreCase)) &&
                         !rules.Any(other => other.ProviderName == rule.ProviderName && other.CategoryName is { } named &&
                                             named.StartsWith(Category, StringComparison.OrdinalIgnoreCase)))
                {
                    // A broader rule (Default, or a prefix of OpenIddict) that OpenIddict inherits: an OpenIddict rule at Debug is more specific.
                    options.Rules.Add(new LoggerFilterRule(rule.ProviderName, Category, LogLevel.Debug, rule.Filter));
                }
            }
        });
}
