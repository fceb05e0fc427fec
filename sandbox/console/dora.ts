/**
 * The console's DORA page (`#/dora?environment=&window=&service=`): the figures of `GET /api/metrics/dora`
 * (the same route, through the sandbox's HTTP API) with their DORA performance levels, and the data of three
 * charts that the browser draws with Chart.js (`dora-charts.ts`): deployment frequency per day, the change
 * lead-time distribution, failures and restores on a timeline.
 */
import type { DoraFigures, DoraReport } from '../../lambdas/domain/ledger/dora';
import { esc } from './format';

/** What the DORA page shows. */
export interface DoraPageModel {
  environments: string[];
  /** Every configured service (the service tabs). */
  services?: string[];
  environment: string;
  /** `30d`… */
  window: string;
  service?: string;
  report?: DoraReport;
  /** Why there is no report (the API's message). */
  error?: string;
}

/** Windows offered as tabs. */
export const DORA_WINDOWS = ['7d', '30d', '90d'];

/** Styles of the page (levels: elite green, high blue, medium amber, low red). */
const DORA_STYLE = `<style>
.dora-cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(190px,100%),1fr));gap:10px;margin:8px 0}
.dora-card{border:1px solid #e1e4ea;border-radius:8px;padding:8px 12px;background:#fbfcfd}
.dora-card h3{margin:0 0 4px;font-size:13px;color:#5b6475}.dora-card .value{font-size:22px;font-weight:650}
.dora-card .detail{font-size:12px;color:#6b7485}
.level{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#e8eaef;margin-left:6px;vertical-align:middle}
.level.elite{background:#d9f2e1;color:#14522d}.level.high{background:#dbe9ff;color:#173f85}
.level.medium{background:#fff1dc;color:#7a4a00}.level.low{background:#fde0e0;color:#8f1d1d}
.dora-charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(420px,100%),1fr));gap:14px}
.dora-charts section{min-width:0}
.dora-charts section{margin:0}.chart-box{position:relative;height:260px}
</style>`;

/** "3.1 h", "2.0 d", "45 min", "12 s" for a duration in seconds; "—" without one. */
export function humanDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

const pct = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)} %`);

function level(l: string | null): string {
  return l ? `<span class="level ${esc(l)}" data-level="${esc(l)}">${esc(l)}</span>` : '';
}

function card(key: string, title: string, value: string, lvl: string | null, detail: string): string {
  return `<div class="dora-card" data-figure="${key}"><h3>${esc(title)}</h3><div><span class="value">${esc(value)}</span>${level(lvl)}</div><div class="detail">${esc(detail)}</div></div>`;
}

/** The five figure cards. */
export function figureCards(f: DoraFigures): string {
  const d = f.deploymentFrequency;
  const l = f.leadTime;
  const c = f.changeFailureRate;
  const r = f.recoveryTime;
  const w = f.reworkRate;
  return `<div class="dora-cards">${[
    c.deployments === 0
      ? card('deployment-frequency', 'Deployment frequency', '—', null, 'no deployment in this window')
      : card(
          'deployment-frequency',
          'Deployment frequency',
          `${d.perDay.toFixed(2)} / day`,
          d.level,
          `${d.deployments} successful deployments · ${d.perWeek.toFixed(1)} / week`,
        ),
    l.count === 0
      ? card('lead-time', 'Change lead time (median)', '—', null, 'no commit deployed in this window')
      : card(
          'lead-time',
          'Change lead time (median)',
          humanDuration(l.medianSeconds),
          l.level,
          `p90 ${humanDuration(l.p90Seconds)} · ${l.count} commits`,
        ),
    c.deployments === 0
      ? card('change-failure-rate', 'Change failure rate', '—', null, 'no deployment in this window')
      : card(
          'change-failure-rate',
          'Change failure rate',
          pct(c.rate),
          c.level,
          `${c.failedDeployments} of ${c.deployments} deployments failed`,
        ),
    r.failures === 0
      ? card(
          'recovery-time',
          'Failed-deployment recovery (median)',
          '—',
          null,
          c.deployments === 0 ? 'no data: no deployment in this window' : 'no failures in this window',
        )
      : card(
          'recovery-time',
          'Failed-deployment recovery (median)',
          humanDuration(r.medianSeconds),
          r.medianSeconds === null ? null : r.level,
          r.count === 0
            ? `${r.failures} failures, none recovered yet`
            : `p90 ${humanDuration(r.p90Seconds)} · ${r.failures} failures, ${r.unrecovered} not recovered`,
        ),
    card(
      'rework-rate',
      'Rework rate',
      pct(w.rate),
      null,
      `${w.unplannedDeployments} unplanned of ${w.deployments} deployments (no DORA levels)`,
    ),
  ].join('')}</div>`;
}

/** The data the charts draw, as JSON inside the fragment (`#dora-data`). */
export function chartData(report: DoraReport, service?: string) {
  // The API was asked for this service only (its overall scope is that service); a full report is narrowed.
  const scope = service ? (report.services[service] ?? report.overall) : report.overall;
  const failures = report.failures.filter((f) => !service || f.service === service);
  return {
    // Each deployment once: it succeeded, or it failed (a deployment rolled back by hand later is a failure).
    frequency: (scope?.daily ?? []).map((b) => ({
      day: b.start.slice(0, 10),
      deployed: b.figures.changeFailureRate.deployments - b.figures.changeFailureRate.failedDeployments,
      failed: b.figures.changeFailureRate.failedDeployments,
    })),
    leadTime: report.leadTimeHistogram.map((b) => ({ label: b.label, count: b.count })),
    failures: failures.map((f) => ({
      service: f.service,
      release: f.releaseId,
      outcome: f.outcome,
      detectedAt: Date.parse(f.detectedAt),
      restoredAt: f.restoredAt ? Date.parse(f.restoredAt) : null,
      restoredBy: f.restoredBy ?? null,
    })),
    window: { from: Date.parse(report.window.from), to: Date.parse(report.window.to) },
  };
}

/** The data of the charts, exported for the browser side's type. */
export type DoraChartData = ReturnType<typeof chartData>;

function tabs(m: DoraPageModel): string {
  const href = (q: Record<string, string | undefined>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({
      environment: m.environment,
      window: m.window,
      service: m.service,
      ...q,
    }))
      if (v) p.set(k, v);
    return `#/dora?${p}`;
  };
  const tab = (label: string, active: boolean, q: Record<string, string | undefined>) =>
    `<a class="${active ? 'active' : ''}" href="${esc(href(q))}">${esc(label)}</a>`;
  const services = [...(m.services ?? (m.report ? Object.keys(m.report.services) : []))].sort();
  return `<div class="env-tabs">${m.environments.map((e) => tab(e, e === m.environment, { environment: e })).join('')}</div>
<div class="env-tabs">${DORA_WINDOWS.map((w) => tab(`last ${w}`, w === m.window, { window: w })).join('')}</div>
<div class="env-tabs">${[tab('all services', !m.service, { service: '' }), ...services.map((s) => tab(s, s === m.service, { service: s }))].join('')}</div>`;
}

/** The DORA fragment the client morphs into the page (charts are drawn from `#dora-data` after that). */
export function renderDora(m: DoraPageModel): string {
  const head = `<section><h2>DORA figures · ${esc(m.environment)} · last ${esc(m.window)}${m.service ? ` · ${esc(m.service)}` : ''}</h2>${tabs(m)}`;
  if (!m.report) {
    return `<div class="dora" data-live="false">${DORA_STYLE}${head}<p class="error">${esc(m.error ?? 'No figures.')}</p></section></div>`;
  }
  const r = m.report;
  const scope = m.service ? (r.services[m.service] ?? r.overall) : r.overall;
  if (!scope) {
    return `<div class="dora" data-live="false">${DORA_STYLE}${head}<p class="empty">No ledger entries for ${esc(m.service ?? '')} in this window.</p></section></div>`;
  }
  const data = JSON.stringify(chartData(r, m.service)).replace(/</g, '\\u003c');
  const perService = Object.entries(r.services)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([name, s]) =>
        `<tr data-service="${esc(name)}"><td>${esc(name)}</td><td>${s.figures.deploymentFrequency.perDay.toFixed(2)} ${level(s.figures.deploymentFrequency.level)}</td><td>${humanDuration(s.figures.leadTime.medianSeconds)} ${level(s.figures.leadTime.level)}</td><td>${pct(s.figures.changeFailureRate.rate)} ${level(s.figures.changeFailureRate.level)}</td><td>${humanDuration(s.figures.recoveryTime.medianSeconds)} ${level(s.figures.recoveryTime.level)}</td><td>${pct(s.figures.reworkRate.rate)}</td></tr>`,
    )
    .join('');
  return `<div class="dora" data-live="false">${DORA_STYLE}${head}
${figureCards(scope.figures)}
<p class="muted">${r.entries} ledger entries, ${esc(r.window.from.slice(0, 10))} → ${esc(r.window.to.slice(0, 10))}. Definitions: <a href="${esc(r.definitions)}" target="_blank" rel="noopener noreferrer">dora.dev</a>; levels: ${esc(r.levelsSource)}.${r.beforeLedger.length ? ` ${r.beforeLedger.length} release${r.beforeLedger.length === 1 ? ' was' : 's were'} recorded before the ledger existed and ${r.beforeLedger.length === 1 ? 'is' : 'are'} not counted.` : ''}</p></section>
<div class="dora-charts">
<section><h2>Deployment frequency (per day)</h2><div class="chart-box"><canvas id="dora-frequency" role="img" aria-label="Successful and failed deployments per day"></canvas></div></section>
<section><h2>Change lead time (commit → running)</h2><div class="chart-box"><canvas id="dora-lead-time" role="img" aria-label="Distribution of change lead times"></canvas></div></section>
<section><h2>Failures and restores</h2>${r.failures.some((f) => !m.service || f.service === m.service) ? '' : '<p class="empty">No failed deployment in this window.</p>'}<div class="chart-box"><canvas id="dora-failures" role="img" aria-label="Failed deployments from detection to restore, per service"></canvas></div></section>
</div>
<section><h2>By service</h2><div class="scroll"><table class="dora-services"><thead><tr><th>Service</th><th>Deploys / day</th><th>Lead time (median)</th><th>Change failure rate</th><th>Recovery (median)</th><th>Rework rate</th></tr></thead><tbody>${perService}</tbody></table></div></section>
<script type="application/json" id="dora-data">${data}</script></div>`;
}
