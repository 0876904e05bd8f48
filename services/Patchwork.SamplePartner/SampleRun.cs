namespace Patchwork.SamplePartner;

/// <summary>The sample's script: what a council's case system does when a worker is allocated to a child, and after.</summary>
public static class SampleRun
{
    public static readonly TimeSpan NoticeDeadline = TimeSpan.FromSeconds(60);

    public const string TeamReadPurpose = "Sample council case system: who else works with the child our duty team was just allocated to";

    public static async Task<int> RunAsync(PartnerRegistration registration, HttpClient http, TextWriter output, bool listen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ArgumentNullException.ThrowIfNull(output);
        try
        {
            // First the API: a token from a signed client assertion, and what Patchwork says it stands for.
            using var api = await PartnerApi.ConnectAsync(http, registration.Api, output, null, cancellationToken);
            await api.WhoAmIAsync(cancellationToken);

            await using var link = await PartnerLink.ConnectAsync(registration.Broker, output, cancellationToken);
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
            // A notice carries ids only: the details come from the API, under the access policy of this moment.
            await api.TeamAsync(client, TeamReadPurpose, cancellationToken);

            await link.EndInvolvementAsync(client, involvement, today, cancellationToken);
            if (await link.WaitForAsync(n => n.Type == "InvolvementEnded" && n.InvolvementId == involvement, NoticeDeadline, cancellationToken) is null)
            {
                output.WriteLine($"no notice that involvement {involvement} ended within {NoticeDeadline.TotalSeconds} s");
                return 1;
            }
            output.WriteLine("round trip complete: token obtained, commands carried out, notices received, team read");

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
        catch (PartnerApiRefused refused)
        {
            output.WriteLine($"refused: {refused.Message}");
            return 1;
        }
    }
}
