// Copies the front-end libraries installed by npm into portal/static/vendor/.
// Run by `make assets` (and so by `make run` / `make test`); never edit the copies by hand.
import { copyFileSync, mkdirSync, existsSync, lstatSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "portal", "static", "vendor");
const assets = [
  ["node_modules/htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["node_modules/@picocss/pico/css/pico.min.css", "pico.min.css"],
  // camera QR scanning (uses the browser's BarcodeDetector where present, a worker otherwise);
  // loaded only on the pages that scan
  ["node_modules/qr-scanner/qr-scanner.umd.min.js", "qr-scanner.umd.min.js"],
  ["node_modules/qr-scanner/qr-scanner-worker.min.js", "qr-scanner-worker.min.js"],
  // Natural Earth countries (TopoJSON): the directory's map is drawn from it on the server (F-81)
  ["node_modules/world-atlas/countries-110m.json", "countries-110m.json"],
];
// a symlink left here (e.g. from a worktree) is replaced by a real folder
try {
  if (lstatSync(out).isSymbolicLink()) rmSync(out);
} catch {}
mkdirSync(out, { recursive: true });
for (const [src, name] of assets) {
  const from = join(root, src);
  if (!existsSync(from)) {
    console.error(`missing ${src}: run npm ci first`);
    process.exit(1);
  }
  copyFileSync(from, join(out, name));
  console.log(`copied ${src} -> portal/static/vendor/${name}`);
}
