namespace Patchwork.Contracts;

/// <summary>Marks the assembly of message records that partner systems compile against.</summary>
public static class ContractsAssembly
{
    public const string Namespace = "Patchwork.Contracts";
}
