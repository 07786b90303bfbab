// The inspector page's script: reads the form, asks `describeEntry` of the cachekit/web bundle
// (the function the CLI's `cachekit inspect` prints; every byte judged by the core, through
// WebAssembly) what the bytes are, and shows the report. The page's state is also on
// `document.body.dataset.state` (`loading`, `ready`, `failed`) for tests and tooling.

import { describeEntry, initWasm, protocol } from '../../node/dist/web.mjs';
import { kindLabel, parseBytes } from './form.mjs';

const $ = (id) => document.getElementById(id);
const kindEl = $('kind');
const resultEl = $('result');

function show(kind, label, report) {
  kindEl.dataset.kind = kind;
  kindEl.textContent = label;
  resultEl.hidden = report === undefined;
  resultEl.textContent = report === undefined ? '' : JSON.stringify(report, null, 2);
}

/** The report of the form's current contents (throws on unusable input). */
function inspect() {
  const bytes = parseBytes($('entry').value, $('encoding').value);
  if (bytes.length === 0) throw new Error('the entry is empty');
  const key = $('key').value.trim();
  const masterKey = $('masterKey').value.trim();
  const tenant = $('tenant').value.trim() || 'default';
  const ring = masterKey ? protocol.keyring(masterKey, [], tenant) : undefined;
  const mode = $('mode').value || undefined;
  return describeEntry(key, bytes, ring, mode);
}

async function main() {
  document.body.dataset.state = 'loading';
  try {
    await initWasm(); // fetches cachekit_wasm_bg.wasm next to web.mjs
  } catch (e) {
    document.body.dataset.state = 'failed';
    show('error', `error: the WebAssembly module did not load: ${e.message}`);
    return;
  }
  $('version').textContent = protocol.coreVersion();
  $('form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    try {
      const d = inspect();
      show(d.kind, kindLabel(d), d);
    } catch (e) {
      const what = e.kind ? `${e.kind}: ${e.message}` : e.message;
      show('error', `error: ${what}`, { error: what });
    }
  });
  document.body.dataset.state = 'ready';
}

main();
