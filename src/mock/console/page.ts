/**
 * The console page served at `/__mock/`: one static HTML document with its style and script
 * inline — no build step, no framework, no request to anything but this server (the page's
 * Content-Security-Policy pins its script and style by hash and `connect-src 'self'`).
 *
 * It reads `GET /__mock/state`, listens to `GET /__mock/events`, and drives the control API.
 * Every control has a stable accessible name (tests and screen readers rely on them):
 * `Plan for <tenant>`, `Archive|Unarchive <project>`, `Exhaust <meter> for <tenant>`,
 * `Advance 1 minute`, `Advance 1 hour`, `Next month`, `Freeze clock`, `Reset`; the request
 * log is `role="log"`. The script below avoids backticks and dollar-brace so it can live in
 * this template literal unchanged.
 * @module
 */
import { createHash } from 'node:crypto';

const STYLE = String.raw`
:root {
  --bg: #f5f6f8; --card: #fff; --ink: #1c2230; --muted: #667085; --line: #e4e7ec; --soft: #f0f2f5;
  --accent: #3454d1; --accent-soft: #e8edfd; --ok: #12805c; --ok-soft: #e3f5ee; --warn: #b54708; --warn-soft: #fef0e1;
  --bad: #c4320a; --bad-soft: #fde8e4; --violet: #6941c6; --violet-soft: #f1ecfc;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 14px; color: var(--ink); background: var(--bg); }
body { margin: 0; }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
h1, h2, h3 { margin: 0; font-weight: 600; }
button, select, input { font: inherit; color: inherit; }
button { cursor: pointer; border: 1px solid var(--line); background: var(--card); border-radius: 7px; padding: 4px 10px; line-height: 1.4; }
button:hover { border-color: #c5cad3; background: var(--soft); }
button:focus-visible, select:focus-visible, input:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.primary:hover { background: #2a46b5; }
button.danger { color: var(--bad); }
button.danger:hover { background: var(--bad-soft); border-color: #f5b7a8; }
button.small { font-size: 12px; padding: 2px 8px; }
button[aria-pressed="true"] { background: var(--accent-soft); border-color: var(--accent); color: var(--accent); }
select, input { border: 1px solid var(--line); border-radius: 7px; padding: 4px 8px; background: var(--card); }

.top { position: sticky; top: 0; z-index: 2; display: flex; align-items: center; gap: 18px; flex-wrap: wrap; padding: 12px 24px; background: var(--card); border-bottom: 1px solid var(--line); }
.brand { display: flex; align-items: baseline; gap: 10px; }
.brand h1 { font-size: 16px; letter-spacing: -0.01em; }
.brand .where { color: var(--muted); font-family: var(--mono); font-size: 12px; }
.live { display: inline-flex; align-items: center; gap: 6px; color: var(--muted); font-size: 12px; }
.live::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: #98a2b3; }
.live.on::before { background: #12b76a; box-shadow: 0 0 0 3px #d1fadf; }
.clock { display: flex; align-items: center; gap: 8px; margin-left: auto; flex-wrap: wrap; }
.clock time { font-family: var(--mono); font-size: 13px; background: var(--soft); padding: 4px 10px; border-radius: 7px; min-width: 190px; text-align: center; }
.clock time.frozen { background: #e0f2fe; color: #026aa2; }
.top nav a { color: var(--accent); text-decoration: none; font-size: 13px; }
.top nav a:hover { text-decoration: underline; }

main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(380px, 40%); gap: 20px; padding: 20px 24px 40px; align-items: start; }
@media (max-width: 1100px) { main { grid-template-columns: 1fr; } }
.tenants { display: grid; gap: 16px; min-width: 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04); }
.tenant { min-width: 0; overflow-x: auto; }
.tenant header { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; margin-bottom: 12px; }
.tenant h2 { font-size: 15px; }
.tenant header code { color: var(--muted); }
.tenant header label { margin-left: auto; display: flex; align-items: center; gap: 6px; color: var(--muted); font-size: 12.5px; }
.block { margin-top: 14px; }
.grid2 { display: grid; grid-template-columns: 3fr 2fr; gap: 18px; }
@media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
h3 { font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); margin: 4px 0 8px; }
.meter { display: grid; grid-template-columns: 66px minmax(60px, 1fr) 128px 84px auto auto; align-items: center; gap: 10px; padding: 5px 0; }
.meter .name { font-weight: 500; }
.meter .nums { font-family: var(--mono); font-size: 12px; color: var(--muted); text-align: right; white-space: nowrap; }
.meter input { width: 84px; padding: 2px 6px; font-size: 12px; }
.meter .chip { justify-self: start; }
.bar { height: 8px; border-radius: 99px; background: var(--soft); overflow: hidden; }
.bar > span { display: block; height: 100%; border-radius: 99px; background: var(--accent); transition: width 0.25s ease; }
.bar.warn > span { background: #f79009; }
.bar.full > span { background: var(--bad); }
table.limits { width: 100%; border-collapse: collapse; font-size: 12.5px; }
table.limits th { text-align: left; font-weight: 500; color: var(--muted); font-size: 11.5px; padding: 0 8px 4px 0; }
table.limits td { padding: 4px 8px 4px 0; border-top: 1px solid var(--soft); vertical-align: middle; white-space: nowrap; }
table.limits td.policy { font-weight: 500; }
table.limits td.per { color: var(--muted); font-family: var(--mono); font-size: 11.5px; }
table.limits td.nums { font-family: var(--mono); font-size: 12px; text-align: right; }
table.limits td.barcell { width: 30%; min-width: 50px; }
table.limits td.barcell .bar { height: 6px; }
table.limits td.reset { color: var(--muted); font-size: 11.5px; min-width: 84px; }
.rows { list-style: none; margin: 0; padding: 0; }
.rows li { display: flex; align-items: center; gap: 8px; padding: 6px 0; border-top: 1px solid var(--soft); }
.rows li code { white-space: nowrap; }
.rows li:first-child { border-top: 0; }
.rows .secret { font-family: var(--mono); font-size: 12px; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1 1 0; min-width: 60px; }
.rows .grow { flex: 1; }
.chip { display: inline-block; font-size: 11px; padding: 1px 7px; border-radius: 99px; background: var(--soft); color: var(--muted); }
.chip.ok { background: var(--ok-soft); color: var(--ok); }
.chip.bad { background: var(--bad-soft); color: var(--bad); }
.chip.warn { background: var(--warn-soft); color: var(--warn); }
.chip.plan { background: var(--violet-soft); color: var(--violet); }

.logcard { position: sticky; top: 72px; display: flex; flex-direction: column; max-height: calc(100vh - 92px); padding: 0; }
.logcard .bar-top { display: flex; align-items: center; gap: 8px; padding: 12px 14px; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.logcard .bar-top h2 { font-size: 15px; margin-right: auto; }
.logcard input[type="search"] { width: 170px; }
.logcard .count { color: var(--muted); font-size: 12px; }
.log { overflow: auto; flex: 1; min-height: 240px; }
.entry { display: grid; grid-template-columns: 64px 54px 1fr auto; gap: 2px 10px; padding: 7px 14px; border-bottom: 1px solid var(--soft); align-items: baseline; }
.entry.fresh { animation: fresh 1.2s ease-out; }
@keyframes fresh { from { background: #fff8db; } to { background: transparent; } }
.entry time { font-family: var(--mono); font-size: 11.5px; color: var(--muted); }
.entry .method { font-family: var(--mono); font-size: 11.5px; font-weight: 600; }
.entry .path { font-family: var(--mono); font-size: 12.5px; overflow-wrap: anywhere; }
.entry .status { font-family: var(--mono); font-weight: 600; font-size: 12px; padding: 1px 7px; border-radius: 6px; justify-self: end; }
.s2 .status { background: var(--ok-soft); color: var(--ok); }
.s3 .status { background: var(--soft); color: var(--muted); }
.s4 .status { background: var(--warn-soft); color: var(--warn); }
.s429 .status { background: var(--violet-soft); color: var(--violet); }
.s5 .status { background: var(--bad-soft); color: var(--bad); }
.entry .meta { grid-column: 2 / 5; display: flex; gap: 8px; flex-wrap: wrap; font-size: 12px; color: var(--muted); }
.entry .meta .code { color: var(--ink); font-family: var(--mono); font-weight: 500; }
.entry .meta .rl { font-family: var(--mono); font-size: 11.5px; }
.empty { padding: 28px 14px; color: var(--muted); text-align: center; }
.toast { position: fixed; bottom: 18px; left: 50%; transform: translateX(-50%); background: #1c2230; color: #fff; padding: 8px 14px; border-radius: 8px; font-size: 13px; opacity: 0; transition: opacity 0.2s; pointer-events: none; max-width: 80vw; }
.toast.show { opacity: 1; }
.toast.err { background: var(--bad); }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

const SCRIPT = String.raw`
'use strict';
(function () {
  var state = null;           // last GET /__mock/state
  var skew = 0;               // mock clock minus wall clock, ms
  var frozen = false;
  var cards = new Map();      // tenant id -> { el, sig }
  var entries = [];           // request events shown, newest first
  var MAX_ENTRIES = 500;
  var num = new Intl.NumberFormat('en-US');
  var $ = function (id) { return document.getElementById(id); };

  /** Builds an element: h('button', {class: 'x', onclick: f, 'aria-label': 'y'}, 'text', child, ...). */
  function h(tag, props) {
    var el = document.createElement(tag);
    for (var k in props || {}) {
      var v = props[k];
      if (v === null || v === undefined || v === false) continue;
      if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else if (k === 'style') el.style.cssText = v; // CSSOM: allowed by the page's CSP, unlike a style attribute
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x) el.append(x); });
      else el.append(c);
    }
    return el;
  }

  var toastTimer;
  function toast(message, isError) {
    var t = $('toast');
    t.textContent = message;
    t.className = 'toast show' + (isError ? ' err' : '');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.className = 'toast'; }, isError ? 5000 : 1600);
  }

  async function call(method, path, body) {
    var res = await fetch(path, { method: method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    var json = null;
    try { json = await res.json(); } catch (e) { json = null; }
    if (!res.ok) throw new Error((json && (json.detail || json.title)) || ('HTTP ' + res.status));
    return json;
  }

  /** Runs a control call, then re-reads the state; failures show in the toast. */
  async function act(label, method, path, body) {
    try {
      await call(method, path, body);
      toast(label);
    } catch (err) {
      toast(label + ' failed: ' + err.message, true);
    }
    await refresh();
  }

  // ---- clock ----------------------------------------------------------------------------
  function mockNow() { return frozen && state ? Date.parse(state.clock) : Date.now() + skew; }
  function fmtClock(ms) { return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC'); }
  function fmtWait(s) {
    if (s <= 0) return 'now';
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
    return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
  }
  function nextMonthSeconds() {
    var d = new Date(mockNow());
    var start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    return Math.max(1, Math.ceil((start - mockNow()) / 1000));
  }

  function tick() {
    if (!state) return;
    var now = mockNow();
    var c = $('clock');
    c.textContent = fmtClock(now);
    c.dateTime = new Date(now).toISOString();
    c.className = frozen ? 'frozen' : '';
    var due = false;
    document.querySelectorAll('[data-reset]').forEach(function (el) {
      var s = Math.ceil((Number(el.getAttribute('data-reset')) - now) / 1000);
      if (el.getAttribute('data-full') === '1') { el.textContent = 'full'; return; }
      el.textContent = s > 0 ? 'in ' + fmtWait(s) : 'refilling';
      if (s <= 0 && s > -2) due = true;
    });
    if (due) scheduleRefresh(300);
  }

  // ---- tenants --------------------------------------------------------------------------
  function planOf(id) { return state.plans.find(function (p) { return p.id === id; }); }

  function meterRow(t, meter) {
    var quota = planOf(t.plan).quotas[meter];
    var used = t.usage[meter] || 0;
    var share = quota ? Math.min(1, used / quota) : 0;
    var input = h('input', { type: 'number', min: '0', step: '1', value: String(used), 'aria-label': 'Usage of ' + meter + ' for ' + t.id });
    return h('div', { class: 'meter' },
      h('span', { class: 'name', text: meter }),
      h('div', { class: 'bar' + (share >= 1 ? ' full' : share >= 0.8 ? ' warn' : ''), role: 'meter', 'aria-label': meter + ' used by ' + t.id, 'aria-valuemin': '0', 'aria-valuemax': String(quota || used || 1), 'aria-valuenow': String(used) },
        h('span', { style: 'width:' + (share * 100).toFixed(1) + '%' })),
      h('span', { class: 'nums', text: num.format(used) + ' / ' + (quota === null || quota === undefined ? 'unlimited' : num.format(quota)) }),
      [input,
        h('button', { class: 'small', 'aria-label': 'Set ' + meter + ' for ' + t.id, onclick: function () {
          var v = Number(input.value);
          if (!Number.isInteger(v) || v < 0) return toast(meter + ' must be a whole number ≥ 0', true);
          var body = {}; body[meter] = v;
          act(meter + ' of ' + t.id + ' set to ' + num.format(v), 'PUT', '/__mock/tenants/' + encodeURIComponent(t.id) + '/usage', body);
        } }, 'Set'),
        quota === null || quota === undefined ? h('span', { class: 'chip', text: 'no quota' }) :
          h('button', { class: 'small danger', 'aria-label': 'Exhaust ' + meter + ' for ' + t.id, onclick: function () {
            var body = {}; body[meter] = quota;
            act(meter + ' of ' + t.id + ' at its quota (' + num.format(quota) + ')', 'PUT', '/__mock/tenants/' + encodeURIComponent(t.id) + '/usage', body);
          } }, 'Exhaust')]);
  }

  function limitRow(l) {
    var share = l.limit ? l.remaining / l.limit : 0;
    var full = l.remaining >= l.limit;
    return h('tr', {},
      h('td', { class: 'policy', text: l.policy }),
      h('td', { class: 'per', text: l.key_id ? l.key_id : 'tenant' }),
      h('td', { class: 'nums', text: num.format(l.remaining) + ' / ' + num.format(l.limit) }),
      h('td', { class: 'barcell' }, h('div', { class: 'bar' + (l.remaining === 0 ? ' full' : share <= 0.2 ? ' warn' : ''), role: 'meter', 'aria-label': l.policy + ' remaining for ' + (l.key_id || 'the tenant'), 'aria-valuemin': '0', 'aria-valuemax': String(l.limit), 'aria-valuenow': String(l.remaining) }, h('span', { style: 'width:' + (share * 100).toFixed(1) + '%' }))),
      h('td', { class: 'per', text: fmtWait(l.window_seconds) }),
      h('td', { class: 'reset', 'data-reset': String(Date.parse(l.reset_at)), 'data-full': full ? '1' : '0' }));
  }

  function copyButton(label, value) {
    return h('button', { class: 'small', 'aria-label': label, onclick: async function () {
      try { await navigator.clipboard.writeText(value); }
      catch (e) {
        var ta = h('textarea', {}); ta.value = value; document.body.append(ta); ta.select();
        document.execCommand('copy'); ta.remove();
      }
      toast('Copied');
    } }, 'Copy');
  }

  function tenantCard(t) {
    var plan = planOf(t.plan);
    var select = h('select', { 'aria-label': 'Plan for ' + t.id, onchange: function () {
      act(t.id + ' is now on ' + select.value, 'PUT', '/__mock/tenants/' + encodeURIComponent(t.id) + '/plan', { plan: select.value });
    } }, state.plans.map(function (p) { return h('option', { value: p.id, selected: p.id === t.plan, text: p.name }); }));
    var meters = Object.keys(plan.quotas);
    var limits = t.limits || [];
    return h('section', { class: 'card tenant', 'aria-labelledby': 'h-' + t.id, 'data-tenant': t.id },
      h('header', {},
        h('h2', { id: 'h-' + t.id, text: t.name || t.id }),
        h('code', { text: t.id }),
        h('span', { class: 'chip plan', text: plan.name + (plan.overage === 'hard_stop' ? ' · stops at quota' : ' · bills overage') }),
        h('label', {}, 'Plan', select)),
      h('h3', { text: 'Usage this month' }), meters.map(function (m) { return meterRow(t, m); }),
      h('div', { class: 'block' }, h('h3', { text: 'Rate limits' }), limits.length ?
        h('table', { class: 'limits' },
          h('thead', {}, h('tr', {}, ['Policy', 'Counted per', 'Left', '', 'Window', 'Next unit'].map(function (x) { return h('th', { text: x }); }))),
          h('tbody', {}, limits.map(limitRow))) : h('p', { class: 'chip', text: 'not rate limited' })),
      h('h3', { class: 'block', text: 'Test keys' }),
      h('ul', { class: 'rows' }, t.keys.map(function (k) {
        return h('li', {},
          h('code', { text: k.id }),
          h('span', { class: 'secret', title: k.key, text: k.key }),
          k.scopes.map(function (s) { return h('span', { class: 'chip', text: s }); }),
          k.project_id ? h('span', { class: 'chip', text: k.project_id }) : null,
          k.revoked ? h('span', { class: 'chip bad', text: 'revoked' }) : null,
          copyButton('Copy key ' + k.id, k.key));
      }), t.session_token ? h('li', {}, h('code', { text: 'session' }), h('span', { class: 'secret', text: 'JWT for a dashboard user (HS256)' }), copyButton('Copy session token for ' + t.id, t.session_token)) : null),
      h('h3', { class: 'block', text: 'Projects' }),
      h('ul', { class: 'rows' }, t.projects.map(function (p) {
        var archived = p.status === 'archived';
        return h('li', {},
          h('code', { text: p.id }),
          p.name ? h('span', { text: p.name }) : null,
          h('span', { class: 'grow' }),
          h('span', { class: 'chip ' + (archived ? 'warn' : 'ok'), text: p.status }),
          h('button', { class: 'small', 'aria-label': (archived ? 'Unarchive ' : 'Archive ') + p.id, onclick: function () {
            act(p.id + (archived ? ' unarchived' : ' archived'), 'PUT', '/__mock/projects/' + encodeURIComponent(p.id), { status: archived ? 'active' : 'archived' });
          } }, archived ? 'Unarchive' : 'Archive'));
      })));
  }

  function render() {
    var list = $('tenants');
    var seen = new Set();
    state.tenants.forEach(function (t, i) {
      seen.add(t.id);
      var sig = JSON.stringify([t, state.plans.length]);
      var have = cards.get(t.id);
      // Keep a card the user is typing in; it is rebuilt on the next change after they leave it.
      var busy = have && have.el.contains(document.activeElement) && document.activeElement.tagName === 'INPUT';
      if (!have || (have.sig !== sig && !busy)) {
        var el = tenantCard(t);
        if (have) have.el.replaceWith(el);
        cards.set(t.id, { el: el, sig: sig });
      }
      var el2 = cards.get(t.id).el;
      if (list.children[i] !== el2) list.insertBefore(el2, list.children[i] || null);
    });
    cards.forEach(function (v, id) { if (!seen.has(id)) { v.el.remove(); cards.delete(id); } });
    $('freeze').setAttribute('aria-pressed', frozen ? 'true' : 'false');
    tick();
  }

  var refreshing = null, again = false, refreshTimer = null;
  async function refresh() {
    if (refreshing) { again = true; return refreshing; }
    refreshing = (async function () {
      try {
        var sent = Date.now();
        var s = await call('GET', '/__mock/state');
        var wall = (sent + Date.now()) / 2;
        state = s;
        frozen = !!s.frozen;
        skew = Date.parse(s.clock) - wall;
        render();
      } catch (err) {
        toast('Could not read /__mock/state: ' + err.message, true);
      }
    })();
    await refreshing;
    refreshing = null;
    if (again) { again = false; await refresh(); }
  }
  function scheduleRefresh(ms) {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () { refreshTimer = null; refresh(); }, ms);
  }

  // ---- request log ----------------------------------------------------------------------
  function statusClass(s) { return s === 429 ? 's4 s429' : 's' + String(s).charAt(0); }
  function matches(e) {
    var q = $('filter').value.trim().toLowerCase();
    var cls = $('status-filter').value;
    if (cls && !(cls === '429' ? e.status === 429 : String(e.status).charAt(0) === cls.charAt(0))) return false;
    if (!q) return true;
    var hay = [e.method, e.path, e.tenant, e.key, e.status, e.code, e.requestId].join(' ').toLowerCase();
    return q.split(/\s+/).every(function (w) { return hay.indexOf(w) >= 0; });
  }
  function rlSummary(r) {
    var parts = [];
    if (r['X-RateLimit-Remaining'] !== undefined) parts.push(r['X-RateLimit-Remaining'] + '/' + r['X-RateLimit-Limit'] + ' left');
    if (r['Retry-After'] !== undefined) parts.push('retry in ' + r['Retry-After'] + ' s');
    return parts.join(' · ');
  }
  function entryEl(e, fresh) {
    var r = e.rateLimit || {};
    var all = Object.keys(r).map(function (k) { return k + ': ' + r[k]; }).join('\n');
    var time = new Date(e.at);
    return h('div', { class: 'entry ' + statusClass(e.status) + (fresh ? ' fresh' : ''), 'data-id': String(e.id), 'data-status': String(e.status) },
      h('time', { datetime: e.at, text: time.toTimeString().slice(0, 8) }),
      h('span', { class: 'method', text: e.method }),
      h('span', { class: 'path', text: e.path }),
      h('span', { class: 'status', text: String(e.status) }),
      h('div', { class: 'meta' },
        h('span', { text: e.tenant || 'no key' }),
        e.code ? h('span', { class: 'code', text: e.code }) : null,
        all ? h('span', { class: 'rl', title: all, text: rlSummary(r) || 'rate-limit headers' }) : null,
        h('span', { text: e.ms + ' ms' })));
  }
  function renderLog() {
    var log = $('log');
    var shown = entries.filter(matches);
    log.replaceChildren.apply(log, shown.map(function (e) { return entryEl(e, false); }));
    if (!shown.length) log.append(h('p', { class: 'empty', text: entries.length ? 'No request matches the filter.' : 'No requests yet. Call the mock (curl, your app) and they appear here.' }));
    $('count').textContent = shown.length === entries.length ? num.format(entries.length) + ' requests' : num.format(shown.length) + ' of ' + num.format(entries.length);
  }
  function addEntry(e) {
    if (entries.length && entries[0].id >= e.id) return;
    entries.unshift(e);
    if (entries.length > MAX_ENTRIES) entries.pop();
    if (!matches(e)) { $('count').textContent = num.format(entries.filter(matches).length) + ' of ' + num.format(entries.length); return; }
    var log = $('log');
    var empty = log.querySelector('.empty');
    if (empty) empty.remove();
    log.prepend(entryEl(e, true));
    while (log.children.length > MAX_ENTRIES) log.lastChild.remove();
    $('count').textContent = log.children.length === entries.length ? num.format(entries.length) + ' requests' : num.format(log.children.length) + ' of ' + num.format(entries.length);
  }

  function connect() {
    var source = new EventSource('/__mock/events');
    source.addEventListener('open', function () { $('live').className = 'live on'; $('live').textContent = 'live'; });
    source.addEventListener('error', function () { $('live').className = 'live'; $('live').textContent = 'reconnecting…'; });
    source.addEventListener('request', function (m) {
      addEntry(JSON.parse(m.data));
      scheduleRefresh(250);
    });
    source.addEventListener('state', function () { scheduleRefresh(0); });
  }

  // ---- wiring ---------------------------------------------------------------------------
  $('where').textContent = location.host;
  $('advance-minute').addEventListener('click', function () { act('Clock advanced 1 minute', 'POST', '/__mock/clock', { advance_seconds: 60 }); });
  $('advance-hour').addEventListener('click', function () { act('Clock advanced 1 hour', 'POST', '/__mock/clock', { advance_seconds: 3600 }); });
  $('next-month').addEventListener('click', function () { act('Clock at the start of next month', 'POST', '/__mock/clock', { advance_seconds: nextMonthSeconds() }); });
  $('freeze').addEventListener('click', function () { act(frozen ? 'Clock running' : 'Clock frozen', 'POST', '/__mock/clock', { freeze: !frozen }); });
  $('reset').addEventListener('click', function () { act('Mock reset to its fixtures', 'POST', '/__mock/reset'); });
  $('filter').addEventListener('input', renderLog);
  $('status-filter').addEventListener('change', renderLog);
  $('clear').addEventListener('click', function () { entries = []; renderLog(); });
  renderLog();
  refresh().then(connect);
  setInterval(tick, 1000);
  // Other instances sharing Redis change the state too; a slow poll keeps the view honest.
  setInterval(function () { if (!document.hidden) refresh(); }, 5000);
})();
`;

const BODY = `
<header class="top">
  <div class="brand"><h1>Traceloom mock console</h1><span class="where" id="where"></span></div>
  <span class="live" id="live" role="status">connecting…</span>
  <nav><a href="/docs/">API reference</a></nav>
  <div class="clock" role="group" aria-label="Mock clock">
    <time id="clock" aria-live="off">—</time>
    <button id="advance-minute" type="button">Advance 1 minute</button>
    <button id="advance-hour" type="button">Advance 1 hour</button>
    <button id="next-month" type="button">Next month</button>
    <button id="freeze" type="button" aria-pressed="false">Freeze clock</button>
    <button id="reset" type="button" class="danger">Reset</button>
  </div>
</header>
<main>
  <div class="tenants" id="tenants" aria-label="Tenants"></div>
  <section class="card logcard" aria-labelledby="log-title">
    <div class="bar-top">
      <h2 id="log-title">Requests</h2>
      <span class="count" id="count"></span>
      <input type="search" id="filter" placeholder="Filter: path, code, tenant" aria-label="Filter requests">
      <select id="status-filter" aria-label="Status filter">
        <option value="">All statuses</option><option value="2">2xx</option><option value="4">4xx</option><option value="429">429</option><option value="5">5xx</option>
      </select>
      <button id="clear" type="button" class="small">Clear</button>
    </div>
    <div class="log" id="log" role="log" aria-label="Request log" aria-live="polite"></div>
  </section>
</main>
<div class="toast" id="toast" role="status" aria-live="polite"></div>
`;

/** The page and its Content-Security-Policy (script and style pinned by SHA-256). */
export interface ConsolePage {
  body: Buffer;
  csp: string;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Builds the console page once (the mock serves the same bytes to every request). */
export function consolePage(): ConsolePage {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Traceloom mock console</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { body: Buffer.from(html, 'utf8'), csp };
}
