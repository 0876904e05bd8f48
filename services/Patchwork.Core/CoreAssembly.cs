namespace Patchwork.Core;

/// <summary>Marks the domain assembly, for scanning its slices and projections.</summary>
public static class CoreAssembly
{
}
