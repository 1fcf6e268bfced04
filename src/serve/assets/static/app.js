// Live progress of running scans over server-sent events. Values are written with textContent
// only: nothing a scanned server sent ever becomes markup.
'use strict';
const FIELDS = ['state', 'hostsDone', 'targets', 'services', 'exposed', 'patients', 'studies'];

function follow(id) {
  const source = new EventSource(`/api/v1/scans/${encodeURIComponent(id)}/events`);
  source.addEventListener('progress', (ev) => {
    const scan = JSON.parse(ev.data);
    for (const el of document.querySelectorAll('[data-scan]')) {
      if (el.dataset.scan !== id) continue;
      const scope = el.matches('[data-field]') ? el.parentElement : el;
      for (const f of FIELDS) {
        const cell = scope.querySelector(`[data-field="${f}"]`);
        if (cell !== null) cell.textContent = String(f === 'state' ? scan.state : scan[f]);
      }
    }
  });
  source.addEventListener('end', () => source.close());
  source.onerror = () => source.close();
}

document.addEventListener('DOMContentLoaded', () => {
  const live = new Set();
  for (const el of document.querySelectorAll('[data-scan][data-state]')) {
    const state = el.dataset.state;
    if (state === 'running' || state === 'queued') live.add(el.dataset.scan);
  }
  for (const id of live) follow(id);
});
