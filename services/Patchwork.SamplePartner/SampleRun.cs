namespace Patchwork.SamplePartner;

/// <summary>The sample's script: what a council's case system does when a worker is allocated to a child, and after.</summary>
public static class SampleRun
{
    public static readonly TimeSpan NoticeDeadline = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(PartnerSettings settings, TextWriter output, bool listen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var link = await PartnerLink.ConnectAsync(settings, output, cancellationToken);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var client = Guid.CreateVersion7();
        var involvement = Guid.CreateVersion7();

        // Fictional identity: the given name is unique per run, so a second run is not a likely duplicate of the first.
        await link.RegisterClientAsync(client, "Sample " + client.ToString("N")[^6..], "Partnerchild", new DateOnly(2014, 3, 9), null, null,
            "SAMPLE-" + client.ToString("N")[..8], cancellationToken);
        await link.RecordInvolvementAsync(client, involvement, null, "duty social worker", "Sample council, duty team", "general", today,
            "01632 960999", null, cancellationToken);
        if (await link.WaitForAsync(n => n.Type == "InvolvementBecameVisible" && n.InvolvementId == involvement, NoticeDeadline, cancellationToken) is null)
        {
            output.WriteLine($"no notice of involvement {involvement} within {NoticeDeadline.TotalSeconds} s: was the command refused? (see the inbound error queue)");
            return 1;
        }

        await link.EndInvolvementAsync(client, involvement, today, cancellationToken);
        if (await link.WaitForAsync(n => n.Type == "InvolvementEnded" && n.InvolvementId == involvement, NoticeDeadline, cancellationToken) is null)
        {
            output.WriteLine($"no notice that involvement {involvement} ended within {NoticeDeadline.TotalSeconds} s");
            return 1;
        }
        output.WriteLine("round trip complete: commands carried out, notices received");

        if (listen)
        {
            output.WriteLine("listening for notices; Ctrl+C to stop");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return 0;
    }
}
