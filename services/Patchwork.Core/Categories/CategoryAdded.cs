using Patchwork.EventStore;

namespace Patchwork.Core.Categories;

/// <summary>
/// A category added to the partnership's list; categories are only ever added, since reclassifying one would silently
/// change who sees what. The partnership folds it; no door adds one yet (the well-known list is the partnership's).
/// </summary>
[EventName(EventNames.CategoryAdded)]
public sealed record CategoryAdded(Category Category, ActedBy By, DateTimeOffset At);
