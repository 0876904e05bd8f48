using Patchwork.EventStore;

namespace Patchwork.Core.Categories;

public sealed record AddCategory(string Name, bool IsSensitive);

[EventName(EventNames.CategoryAdded)]
public sealed record CategoryAdded(Category Category, ActedBy By, DateTimeOffset At);

/// <summary>Categories are only ever added: reclassifying one would silently change who sees what.</summary>
public static class Adding
{
    public static Result<CategoryAdded> Decide(Partnership partnership, AddCategory command, Actor by, DateTimeOffset now) =>
        by is not Actor.Practitioner admin || !admin.Holds(Roles.PartnershipAdmin)
            ? Problem.Forbidden("only a partnership administrator may add a category")
            : Category.Named(command.Name, command.IsSensitive).Bind<CategoryAdded>(category =>
                partnership.Categories.Contains(category)
                    ? Problem.Conflict("the partnership already has this category")
                    : new CategoryAdded(category, ActedBy.From(by), now));
}
