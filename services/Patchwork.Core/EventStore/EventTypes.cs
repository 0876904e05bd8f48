using System.Collections.Concurrent;
using System.Reflection;

namespace Patchwork.EventStore;

/// <summary>Which CLR record each stored event name is read back into.</summary>
public sealed class EventTypes
{
    private readonly ConcurrentDictionary<string, Type> _byName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Type, string> _byType = new();

    public EventTypes Register<TEvent>() => Register(typeof(TEvent));

    public EventTypes Register(Type eventType)
    {
        var name = EventNameAttribute.Of(eventType);
        var registered = _byName.GetOrAdd(name, eventType);
        if (registered != eventType)
            throw new InvalidOperationException($"Both {registered.FullName} and {eventType.FullName} claim the event name {name}.");
        _byType[eventType] = name;
        return this;
    }

    /// <summary>Registers every type in the assembly that carries an [EventName].</summary>
    public EventTypes RegisterFrom(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var type in assembly.GetTypes().Where(t => t.GetCustomAttribute<EventNameAttribute>() is not null))
            Register(type);
        return this;
    }

    public Type? TypeOf(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Every registered record and its stored name: what Marten is told to map.</summary>
    internal IEnumerable<KeyValuePair<Type, string>> All => _byType;
}
