using System.Diagnostics;

namespace Patchwork.Server.Api;

/// <summary>The id that ties a request's events and audit entry together: the W3C trace id when there is one.</summary>
internal static class Correlation
{
    private static readonly object Key = new();

    public static Guid Of(HttpContext http)
    {
        if (Activity.Current is { } activity && activity.TraceId != default)
        {
            Span<byte> bytes = stackalloc byte[16];
            activity.TraceId.CopyTo(bytes);
            return new Guid(bytes, bigEndian: true);
        }
        if (http.Items[Key] is Guid known) return known;
        var made = Guid.CreateVersion7();
        http.Items[Key] = made;
        return made;
    }
}
