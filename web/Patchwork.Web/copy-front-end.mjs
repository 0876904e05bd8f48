// Builds what the pages use from npm packages (GOV.UK Frontend, the SignalR client) into wwwroot/lib (git-ignored); run by the build (Patchwork.Web.csproj).
// GOV.UK Frontend's stylesheet is compiled from its Sass with only the components the pages use (styles/govuk-frontend.scss).
// Patchwork is not a GOV.UK service: the GDS Transport typeface is licensed for GOV.UK only, so the stylesheet names Arial
// and its fonts are not copied.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { compile } from 'sass';

const dist = 'node_modules/govuk-frontend/dist/govuk/';
const lib = 'wwwroot/lib/govuk-frontend/';
mkdirSync(lib + 'assets/images', { recursive: true });
copyFileSync(dist + 'govuk-frontend.min.js', lib + 'govuk-frontend.min.js');
// The official SignalR client's browser build (it defines self.signalR), for the live feed on signed-in pages.
mkdirSync('wwwroot/lib/signalr', { recursive: true });
copyFileSync('node_modules/@microsoft/signalr/dist/browser/signalr.min.js', 'wwwroot/lib/signalr/signalr.min.js');
copyFileSync(dist + 'assets/images/favicon.ico', lib + 'assets/images/favicon.ico');
const css = compile('styles/govuk-frontend.scss', { loadPaths: ['node_modules'], style: 'compressed', sourceMap: false, quietDeps: true })
  .css.replace(/^\uFEFF/, '');
if (css.includes('GDS Transport') || css.includes('@font-face')) throw new Error('The stylesheet still names the GDS Transport typeface');
writeFileSync(lib + 'govuk-frontend.min.css', css);
writeFileSync('wwwroot/lib/.copied', new Date().toISOString() + '\n');
