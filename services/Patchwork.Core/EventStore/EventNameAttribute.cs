using System.Reflection;

namespace Patchwork.EventStore;

/// <summary>
/// The stable name an event is stored under, such as <c>involvement.recorded.v1</c>: renaming or moving
/// the record must never change what the log says happened.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class EventNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;

    public static string Of<TEvent>() => Of(typeof(TEvent));

    public static string Of(Type eventType)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        return eventType.GetCustomAttribute<EventNameAttribute>()?.Name
            ?? throw new InvalidOperationException(
                $"{eventType.FullName} has no [EventName]: events are stored under stable names, never CLR type names.");
    }
}
