// Copies what the pages use from npm packages into wwwroot/lib (git-ignored); run by the build (Patchwork.Web.csproj).
// Patchwork is not a GOV.UK service: the GDS Transport typeface is licensed for GOV.UK only, so it is dropped from the
// stylesheet and its fonts are not copied (text is set in Arial, as the Design System asks of other services).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const dist = 'node_modules/govuk-frontend/dist/govuk/';
const lib = 'wwwroot/lib/govuk-frontend/';
mkdirSync(lib + 'assets/images', { recursive: true });
copyFileSync(dist + 'govuk-frontend.min.js', lib + 'govuk-frontend.min.js');
copyFileSync(dist + 'assets/images/favicon.ico', lib + 'assets/images/favicon.ico');
const css = readFileSync(dist + 'govuk-frontend.min.css', 'utf8')
  .replace(/@font-face\{[^}]*\}/g, '')
  .replaceAll('GDS Transport,', '')
  .replaceAll('url(/assets/', 'url(/lib/govuk-frontend/assets/')
  .replace(/\/\*# sourceMappingURL=[^*]*\*\//, '');
if (css.includes('GDS Transport')) throw new Error('GDS Transport is still named in the stylesheet');
writeFileSync(lib + 'govuk-frontend.min.css', css);
writeFileSync('wwwroot/lib/.copied', new Date().toISOString() + '\n');
