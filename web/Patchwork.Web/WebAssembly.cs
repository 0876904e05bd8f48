namespace Patchwork.Web;

/// <summary>Marks the Razor Pages assembly that the server hosts.</summary>
public static class WebAssembly
{
}
