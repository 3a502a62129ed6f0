// The console page: no framework, no build. Deliveries arrive as Server-Sent Events; the sandbox
// panel is re-read whenever a delivery changes.
/* global document, EventSource, fetch */

/** @param {string} tag @param {Record<string, string>} attributes @param {(Node | string)[]} children */
function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const pre = (value) => h('pre', {}, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
const decisionClass = (decision) => (decision ?? '').split(/[ ,(]/)[0];

/** @type {Map<string, HTMLElement>} */
const shown = new Map();
/** Which deliveries the reader opened: kept open when they update. */
const open = new Set();

function steps(view, kind) {
  return view.steps.filter((step) => step.kind === kind);
}

function render(view) {
  const summary = h(
    'summary',
    {},
    `#${view.id} ${new Date(view.at).toLocaleTimeString()} · ${view.provider} · `,
    h(
      'span',
      { class: 'event' },
      steps(view, 'command')
        .map((s) => s.eventId)
        .join(', ') || view.url,
    ),
    ' · ',
    h('b', { class: 'status' }, String(view.status ?? '…')),
    ' ',
    h('span', { class: `decision ${decisionClass(view.decision)}` }, view.decision ?? 'in flight'),
    view.replayOf ? ` (replay of #${view.replayOf})` : '',
  );
  const replay = h('button', { type: 'button', class: 'replay' }, 'Replay as received');
  replay.addEventListener('click', () => void fetch(`/console/api/replay/${view.id}`, { method: 'POST' }));
  const queue = steps(view, 'queue');
  const details = h(
    'details',
    { 'data-id': view.id, class: 'delivery' },
    summary,
    replay,
    h('h4', {}, `Request (secrets masked): ${view.method} ${view.url}`),
    pre(view.request.headers),
    pre(view.request.body),
    h('h4', {}, 'Normalized event (the command dispatched)'),
    pre(steps(view, 'command').map((s) => s.command)),
    h('h4', {}, 'wolkvox calls'),
    pre(
      steps(view, 'call')
        .map((s) => `${s.call.endpoint} → ${s.call.status ?? s.call.outcome} (${Math.round(s.call.ms)} ms)`)
        .join('\n') || 'none',
    ),
    h('h4', {}, 'Before → after'),
    pre(steps(view, 'changes').flatMap((s) => s.changes)),
    ...(queue.length
      ? [
          h('h4', {}, 'Queue journey'),
          pre(queue.map((s) => `${s.at} ${s.event} ${JSON.stringify(s.detail ?? {})}`).join('\n')),
        ]
      : []),
    ...steps(view, 'parked').map((s) => h('p', { class: 'parked' }, `parked: ${s.reason}`)),
    h('h4', {}, 'Answer'),
    pre(
      steps(view, 'answered')
        .map((s) => s.answer)
        .join('\n'),
    ),
  );
  if (open.has(view.id)) details.open = true;
  details.addEventListener('toggle', () => (details.open ? open.add(view.id) : open.delete(view.id)));
  return details;
}

const list = document.getElementById('deliveries');

function show(view) {
  const next = render(view);
  const old = shown.get(view.id);
  if (old) old.replaceWith(next);
  else list.prepend(next);
  shown.set(view.id, next);
}

async function refreshSandbox() {
  const state = await (await fetch('/console/api/sandbox')).json();
  const panel = document.getElementById('sandbox');
  if (!state) {
    panel.replaceChildren('WOLKVOX_SERVER points elsewhere: no sandbox here to show.');
    return;
  }
  const obligations = h(
    'table',
    { id: 'obligations' },
    h(
      'tr',
      {},
      h('th', {}, 'client'),
      h('th', {}, 'obligation'),
      h('th', {}, 'balance'),
      h('th', {}, 'last pay'),
    ),
  );
  for (const record of state.records)
    for (const obligation of record.obligations)
      obligations.append(
        h(
          'tr',
          { 'data-obligation': `${record.wolkvox_id} ${obligation.id}` },
          h('td', {}, record.Name),
          h('td', {}, obligation.id),
          h('td', { class: 'balance' }, obligation.total_balance),
          h('td', {}, `${obligation.last_pay} ${obligation.last_pay_date}`),
        ),
      );
  const cases = h(
    'table',
    { id: 'cases' },
    h('tr', {}, h('th', {}, 'case'), h('th', {}, 'status'), h('th', {}, 'responsible'), h('th', {}, 'files')),
  );
  for (const one of state.cases)
    cases.append(
      h(
        'tr',
        {},
        h('td', {}, one.idPrefijo),
        h('td', {}, one.status),
        h('td', {}, one.responsible),
        h('td', {}, String(one.attachments.length)),
      ),
    );
  panel.replaceChildren(
    h('h3', {}, `Obligations (operation ${state.operation})`),
    obligations,
    h('h3', {}, 'Cases'),
    cases,
  );
}

async function loadSamples() {
  const samples = await (await fetch('/console/api/samples')).json();
  const select = document.getElementById('sample');
  for (const sample of samples)
    select.append(
      h(
        'option',
        { value: sample.file },
        `${sample.provider} · ${sample.file.split('/').pop()} (${sample.expect})`,
      ),
    );
  document.getElementById('send').addEventListener(
    'click',
    () =>
      void fetch('/console/api/send', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ file: select.value }),
      }),
  );
}

const stream = new EventSource('/console/events');
stream.addEventListener('delivery', (message) => {
  show(JSON.parse(message.data));
  void refreshSandbox();
});
void loadSamples();
void refreshSandbox();
