using Patchwork.SamplePartner;

// dotnet run --project services/Patchwork.SamplePartner -- [--registration FILE] [--listen]
//   FILE is the JSON Patchwork returned when the partner system was registered, with where its private key is (the demo
//   writes one; or set the PARTNER_* variables). The sample gets an access token with a signed client assertion and asks
//   whoami; then, over AMQP, registers a fictional client, records an involvement, waits for Patchwork's notice of it,
//   reads the client's team through the API, ends the involvement, waits for that notice too, and exits 0 — or 1 if
//   something was refused or a notice did not come. With --listen: then keeps printing notices.
var file = args.SkipWhile(a => a != "--registration").Skip(1).FirstOrDefault();
var registration = file is null ? PartnerRegistration.FromEnvironment() : PartnerRegistration.FromFile(file);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
return await SampleRun.RunAsync(registration, http, Console.Out, args.Contains("--listen"), stop.Token);
