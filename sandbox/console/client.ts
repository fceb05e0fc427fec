/**
 * The console in the browser (bundled by esbuild when the sandbox serves /_sandbox/assets/console.js).
 * Routes `#/` (overview), `#/executions/<arn>?state=&expand=&catch=`, `#/environments/<name>` and
 * `#/alarms`, `#/dora?environment=&window=&service=` (charts drawn by the Chart.js bundle, loaded on first use), fetches
 * the server-rendered fragment and morphs it into the page (morphdom): unchanged nodes are left alone, so
 * opened panels stay open and selected text stays selected. Views that can still change refresh every 2 s.
 */
import morphdom from 'morphdom';
import svgPanZoom from 'svg-pan-zoom';

/** Pan and zoom of the execution graph (svg-pan-zoom), kept across refreshes of the same view. */
let panZoom: { instance: SvgPanZoom.Instance; svg: SVGSVGElement; key: string } | undefined;

/**
 * Makes the graph pannable and zoomable. A new graph opens at natural size (every label as the style sets
 * it, never shrunk to fit) from its top, centred on its start node; a refreshed graph of the same view keeps the pan
 * and zoom the person chose.
 */
function enablePanZoom(key: string): void {
  const svg = app.querySelector<SVGSVGElement>('svg.graph');
  if (!svg) {
    panZoom?.instance.destroy();
    panZoom = undefined;
    return;
  }
  if (panZoom?.svg === svg && panZoom.key === key) return;
  const kept =
    panZoom?.key === key ? { pan: panZoom.instance.getPan(), zoom: panZoom.instance.getZoom() } : undefined;
  if (panZoom && panZoom.svg !== svg) panZoom.instance.destroy();
  const instance = svgPanZoom(svg, {
    fit: false,
    center: false,
    zoomScaleSensitivity: 0.25,
    minZoom: 0.1,
    maxZoom: 10,
    dblClickZoomEnabled: false,
    controlIconsEnabled: true,
  });
  panZoom = { instance, svg, key };
  if (kept) {
    instance.zoom(kept.zoom);
    instance.pan(kept.pan);
    return;
  }
  // svg-pan-zoom starts from the viewBox fitted into the element; zoom so one SVG unit is one CSS pixel.
  const { realZoom } = instance.getSizes();
  instance.zoom(instance.getZoom() / realZoom);
  const start = svg.querySelector<SVGGraphicsElement>('[data-terminal="start"][data-first] circle');
  const box = start?.getBBox();
  const width = svg.getBoundingClientRect().width;
  const graphWidth = Number(svg.dataset.width ?? '0');
  const x = graphWidth <= width ? (width - graphWidth) / 2 : box ? width / 2 - (box.x + box.width / 2) : 0;
  instance.pan({ x, y: 4 });
}

const app = document.getElementById('app')!;
let timer: ReturnType<typeof setTimeout> | undefined;
let generation = 0;

function route(): { url: string; key: string } {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const q = new URLSearchParams(query);
  const exec = /^\/executions\/(.+)$/.exec(path);
  if (exec) {
    const params = new URLSearchParams({ arn: decodeURIComponent(exec[1]) });
    for (const k of ['state', 'expand', 'catch']) if (q.get(k)) params.set(k, q.get(k)!);
    return { url: `/_sandbox/ui/execution?${params}`, key: `exec:${exec[1]}` };
  }
  if (path === '/dora') return { url: `/_sandbox/ui/dora?${q}`, key: `dora:${q}` };
  if (path === '/alarms') return { url: '/_sandbox/ui/alarms', key: 'alarms' };
  const env = /^\/environments\/(.+)$/.exec(path);
  if (env) return { url: `/_sandbox/ui/environment?name=${env[1]}`, key: `env:${env[1]}` };
  return { url: `/_sandbox/ui/overview?chat=${encodeURIComponent(q.get('chat') ?? '1')}`, key: 'overview' };
}

let shownKey = '';
let doraScript: Promise<void> | undefined;

/** Draws the DORA page's charts with the Chart.js bundle (/_sandbox/assets/dora.js), loaded on first use. */
async function drawDora(): Promise<void> {
  doraScript ??= new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/_sandbox/assets/dora.js';
    script.onload = () => resolve();
    script.onerror = () => reject(new Error('The DORA charts script did not load.'));
    document.head.appendChild(script);
  });
  await doraScript;
  (window as unknown as { shipgateDora(root: ParentNode): void }).shipgateDora(app);
}

async function load(): Promise<void> {
  const mine = ++generation;
  if (timer) clearTimeout(timer);
  const r = route();
  let html: string;
  try {
    const res = await fetch(r.url, { headers: { accept: 'text/html' } });
    html = await res.text();
  } catch {
    if (mine === generation) timer = setTimeout(load, 2000);
    return;
  }
  if (mine !== generation) return;
  const next = document.createElement('main');
  next.id = 'app';
  next.innerHTML = html;
  morphdom(app, next, {
    onBeforeElUpdated(from, to) {
      if (from.isEqualNode(to)) return false;
      // A graph svg-pan-zoom has taken over: keep it when the server drew the same graph again.
      if (
        from instanceof SVGSVGElement &&
        from.classList.contains('graph') &&
        from.getAttribute('data-sig') === to.getAttribute('data-sig') &&
        shownKey === r.key
      )
        return false;
      // What the user opened stays open; what they closed stays closed (same view only).
      if (from instanceof HTMLDetailsElement && to instanceof HTMLDetailsElement && shownKey === r.key) {
        to.open = from.open;
      }
      return true;
    },
    getNodeKey(node) {
      const el = node as Element;
      return el.id || (el.getAttribute && el.getAttribute('data-key')) || undefined;
    },
  });
  shownKey = r.key;
  enablePanZoom(`${r.key}|${app.querySelector('svg.graph')?.getAttribute('data-layout') ?? ''}`);
  if (app.querySelector('#dora-data')) void drawDora();
  document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes ?? '0') + 1);
  const live = app.querySelector('[data-live]');
  if (!live || live.getAttribute('data-live') === 'true') timer = setTimeout(load, 2000);
}

function setParam(change: (q: URLSearchParams) => void): void {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const q = new URLSearchParams(query);
  change(q);
  const s = q.toString();
  location.hash = `#${path}${s ? `?${s}` : ''}`;
}

function toggleMap(name: string): void {
  setParam((q) => {
    const set = new Set((q.get('expand') ?? '').split(',').filter(Boolean));
    if (set.has(name)) set.delete(name);
    else set.add(name);
    if (set.size) q.set('expand', [...set].join(','));
    else q.delete('expand');
  });
}

app.addEventListener('click', (ev) => {
  const target = ev.target as Element;
  const node = target.closest('g.node');
  if (node) {
    const name = node.getAttribute('data-state')!;
    if (node.getAttribute('data-map') === 'true' && target.closest('text.type')) toggleMap(name);
    else setParam((q) => q.set('state', name));
    return;
  }
  const jump = target.closest('[data-event]');
  if (jump) {
    const ev = document.getElementById(`event-${jump.getAttribute('data-event')}`);
    if (ev instanceof HTMLDetailsElement) {
      ev.open = true;
      ev.scrollIntoView({ block: 'center' });
    }
    return;
  }
  const row = target.closest('tr.state-row');
  if (row && !target.closest('a')) setParam((q) => q.set('state', row.getAttribute('data-state')!));
});
app.addEventListener('keydown', (ev) => {
  const node = (ev.target as Element).closest?.('g.node');
  if (node && (ev.key === 'Enter' || ev.key === ' ')) {
    ev.preventDefault();
    setParam((q) => q.set('state', node.getAttribute('data-state')!));
  }
});
window.addEventListener('hashchange', () => void load());
void load();
