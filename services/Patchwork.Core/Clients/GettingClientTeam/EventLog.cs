using System.Text.Json;
using System.Text.Json.Nodes;
using Patchwork.EventStore;

namespace Patchwork.Core.Clients;

/// <summary>
/// Events kept inside a read-model row as a JSON array of <c>{ "name": …, "data": … }</c>, written and read with the
/// event store's own serializer configuration and names, so a row replays exactly as the log would.
/// </summary>
internal sealed class EventLog(EventStoreOptions store)
{
    public string ToJsonArray(IEnumerable<RecordedEvent> events)
    {
        var array = new JsonArray();
        foreach (var recorded in events)
        {
            array.Add(new JsonObject
            {
                ["name"] = recorded.Name,
                ["data"] = JsonSerializer.SerializeToNode(recorded.Data, recorded.Data.GetType(), store.Json),
            });
        }
        return array.ToJsonString();
    }

    /// <summary>The events whose names this process knows; unknown names (newer nodes' events) are left out.</summary>
    public IReadOnlyList<object> Read(string jsonArray)
    {
        using var document = JsonDocument.Parse(jsonArray);
        var events = new List<object>();
        foreach (var element in document.RootElement.EnumerateArray())
        {
            var type = store.Events.TypeOf(element.GetProperty("name").GetString()!);
            if (type is not null) events.Add(element.GetProperty("data").Deserialize(type, store.Json)!);
        }
        return events;
    }
}
