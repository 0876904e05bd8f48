using Patchwork.Server.Api;
using Patchwork.Server.Domain;
using Patchwork.Server.Feed;
using Patchwork.Server.Fhir;
using Patchwork.Server.Health;
using Patchwork.Server.Hosting;
using Patchwork.Server.Insight;
using Patchwork.Server.Messaging;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.SignIn;
using Patchwork.Server.Telemetry;
using Patchwork.Server.Threads;
using Patchwork.Server.Tokens;
using Patchwork.Server.Web;

var builder = WebApplication.CreateBuilder(args);

builder.AddPatchworkHosting();
var node = FeedExtensions.NewNodeId();
builder.AddPatchworkTelemetry(node);
builder.AddPatchworkDomain();
builder.AddPatchworkMessaging(bus => bus.AddFeedConsumer(node));
builder.AddPatchworkHealth();
builder.AddPatchworkTokens();
builder.AddPatchworkSignIn();
builder.AddPatchworkPartnerBus();
builder.AddPatchworkApi();
builder.AddPatchworkFeed();
builder.AddPatchworkThreads();
builder.AddPatchworkInsight();
builder.AddPatchworkWeb();

var app = builder.Build();

app.UsePatchworkTokenRateLimit();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapPatchworkHealth();
app.MapPatchworkTokens();
app.MapPatchworkSignIn();
app.MapPatchworkApi();
app.MapPatchworkFhir();
app.MapPatchworkPartnerBus();
app.MapPatchworkFeed();
app.MapPatchworkWeb();

app.Run();

/// <summary>The host's entry point, visible to the test host.</summary>
public partial class Program;
