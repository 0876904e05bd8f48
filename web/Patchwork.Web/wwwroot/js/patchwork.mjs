// Progressive enhancement only: every page works without this file. The layout names the other scripts' fingerprinted
// URLs on this script's element: imports between modules would otherwise need an inline import map, which the
// Content-Security-Policy (no inline script) refuses.
const urls = document.getElementById('patchwork-script').dataset;
const { initAll } = await import(urls.govuk);
initAll();
const { startFeed } = await import(urls.feed);
await startFeed(urls.signalr);
