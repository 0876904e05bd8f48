using Patchwork.SamplePartner;

// dotnet run --project services/Patchwork.SamplePartner -- [--registration FILE] [--listen]
//   FILE is the JSON Patchwork returned when the partner system was registered (or set PARTNER_* variables).
//   Without --listen: register a fictional client, record an involvement, wait for Patchwork's notice of it, end it,
//   wait for that notice too, and exit 0 — or 1 if a notice did not come. With --listen: then keep printing notices.
var registration = args.SkipWhile(a => a != "--registration").Skip(1).FirstOrDefault();
var settings = registration is null ? PartnerSettings.FromEnvironment() : PartnerSettings.FromRegistrationFile(registration);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
return await SampleRun.RunAsync(settings, Console.Out, args.Contains("--listen"), stop.Token);
