/**
 * The console's CSS. State colours (fill / stroke): succeeded green #e3f5e9 / #2e9d5b, failed red #fde6e6 /
 * #d23c3c, caught failure orange #fff1dc / #e08a00, current blue #dbe9ff / #2f6fde, aborted grey-violet
 * #ece8f3 / #7a6a99, not reached white / #b7bfcc.
 */
export const CONSOLE_STYLE = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header{background:#1d2433;color:#fff;padding:8px 16px;display:flex;flex-wrap:wrap;gap:6px 18px;align-items:baseline}
header h1{font-size:17px;margin:0}header h1 a{color:#fff;text-decoration:none}header nav{display:flex;gap:12px;flex-wrap:wrap}
header a{color:#9cc3ff}header .info{font-size:12px;overflow-wrap:anywhere}
main{padding:14px 16px;max-width:1600px;margin:0 auto}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:10px 14px;margin-bottom:14px;min-width:0}
h2{font-size:16px;margin:6px 0 10px;overflow-wrap:anywhere}h3{font-size:14px;margin:10px 0 6px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{font-weight:600;color:#5b6475;white-space:nowrap}code{font-size:12px}.muted,.empty{color:#6b7485}
.scroll{overflow-x:auto;max-width:100%}.wrap{overflow-wrap:anywhere;word-break:break-word}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;background:#e8eaef;white-space:nowrap}
.badge.running,.badge.in_progress,.badge.current{background:#dbe9ff}.badge.succeeded,.badge.completed,.badge.success{background:#d9f2e1}
.badge.failed,.badge.timed_out{background:#fde0e0;color:#8f1d1d}.badge.caught{background:#fff1dc}.badge.aborted{background:#ece8f3}
.envs{display:flex;gap:16px;flex-wrap:wrap}.env{flex:1 1 300px;min-width:0}
.approve-link,.chat-button{display:inline-block;margin:2px 6px 2px 0;padding:2px 8px;border:1px solid #2f6fde;border-radius:6px;color:#2f6fde;text-decoration:none;font-size:13px}
.chat-button.primary{background:#2f6fde;color:#fff}.chat-button.danger{border-color:#d23c3c;color:#d23c3c}
.chat-button.closed{border-color:#c9ced8;color:#8a92a2;background:#f3f4f6}.chat-card.decided{border-left-color:#9aa3b2}.decided-note{font-style:italic}
.exec-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(280px,420px);gap:14px;align-items:start}
.exec-grid>section{margin:0}
@media (max-width:1000px){.exec-grid{grid-template-columns:minmax(0,1fr)}}
.graph-bar{display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center}.graph-bar h3{margin:4px 0}
.graph-wrap{overflow:hidden;border:1px solid #eef0f3;border-radius:6px;background:#fbfcfd;position:relative}
.graph{display:block;width:100%;touch-action:none;cursor:grab}.graph-hint{font-size:12px;color:#6b7485;margin:4px 0 0}
.node{cursor:pointer}.node rect{fill:#fff;stroke:#b7bfcc;stroke-width:1.5}.node text{text-anchor:middle;font-size:12.5px;fill:#1d2433}.node .type{fill:#6b7485;font-size:10.5px}
.node.open rect{fill:#f7f9fc;stroke-dasharray:5 3}
.node.succeeded rect{fill:#e3f5e9;stroke:#2e9d5b}.node.failed rect{fill:#fde6e6;stroke:#d23c3c;stroke-width:2.5}
.node.caught rect{fill:#fff1dc;stroke:#e08a00;stroke-width:2}.node.current rect{fill:#dbe9ff;stroke:#2f6fde;stroke-width:3}
.node.aborted rect{fill:#ece8f3;stroke:#7a6a99;stroke-width:2}.node.selected rect{stroke:#1d2433;stroke-width:3.5}
.node:focus{outline:none}.node:focus rect{stroke:#1d2433}
.terminal circle{fill:#fff;stroke:#9aa3b2;stroke-width:2}.terminal.reached circle{stroke:#2f6fde;fill:#2f6fde}.terminal.end.reached .inner{fill:#fff}.terminal .inner{fill:#9aa3b2;stroke:none}
.edge{fill:none;stroke:#b3bac6;stroke-width:1.2}.edge.taken{stroke:#2f6fde;stroke-width:2.4}
.edge.catch{stroke:#d9a3a3;stroke-dasharray:3 4;stroke-width:1}.edge.catch.taken{stroke:#d23c3c;stroke-width:2;stroke-dasharray:6 3}
.legend{display:flex;gap:6px;flex-wrap:wrap}.node-key{padding:1px 8px;border-radius:4px;border:1px solid #b7bfcc;font-size:12px;background:#fff}
.node-key.succeeded{background:#e3f5e9;border-color:#2e9d5b}.node-key.failed{background:#fde6e6;border-color:#d23c3c}.node-key.caught{background:#fff1dc;border-color:#e08a00}
.node-key.current{background:#dbe9ff;border-color:#2f6fde}.node-key.aborted{background:#ece8f3;border-color:#7a6a99}
.state-panel{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:10px 14px;position:sticky;top:8px;max-height:calc(100vh - 16px);overflow:auto;min-width:0}
.panel-head{display:flex;justify-content:space-between;align-items:baseline;gap:8px}.panel-head h3{overflow-wrap:anywhere}.close{text-decoration:none;font-size:20px;color:#6b7485}
.state-error,.error-header{background:#fde6e6;border:1px solid #f0b4b4;border-radius:6px;padding:8px 12px;color:#7d1b1b;overflow-wrap:anywhere}
.error-header p,.state-error p{margin:4px 0 0;white-space:pre-wrap}
.freeze-hold{background:#e8f1ff;border:1px solid #a9c6f5;border-radius:6px;padding:8px 12px;margin-top:8px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px;background:#f6f7f9;padding:8px;margin:4px 0;max-height:420px;overflow:auto}
details.io summary,details.event summary{cursor:pointer}
.history details.event{border-bottom:1px solid #eef0f3}
.history summary{display:grid;grid-template-columns:3em minmax(9em,14em) minmax(0,1fr) 6em;gap:8px;padding:3px 4px;list-style-position:outside}
.history summary>span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.ev-time{text-align:right;color:#6b7485}
@media (max-width:700px){.history summary{grid-template-columns:2.5em minmax(0,1fr) 5em}.history .ev-detail{display:none}main{padding:8px}section{padding:8px 10px}}
tr.state-row{cursor:pointer}tr.selected td{background:#f0f5ff}
.visit-events{padding-left:18px;margin:4px 0}
.chat{list-style:none;padding:0;margin:0;display:grid;gap:8px}
.chat-card{border:1px solid #e1e4ea;border-left:4px solid #4a154b;border-radius:6px;padding:6px 10px;overflow-wrap:anywhere;font-size:13px}
.chat-card time{display:block;font-size:11px;color:#6b7485}.b-header{font-weight:700}.b-context{color:#6b7485;font-size:12px}
.b-fields{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:2px 12px}.b-section>div{margin:2px 0}.b-divider{border:0;border-top:1px solid #eef0f3}
.pager{display:flex;justify-content:space-between;gap:8px;margin-top:8px}
.env-tabs{display:flex;gap:8px;flex-wrap:wrap;margin-bottom:4px}.env-tabs a{padding:2px 10px;border-radius:12px;background:#eef0f3;text-decoration:none;color:#1d2433}.env-tabs a.active{background:#1d2433;color:#fff}
.env-urls{margin:4px 0 8px}.env-url{margin-right:8px}.rollback{color:#a12626;font-size:12px;white-space:nowrap}
.releases{padding-left:18px}
.rollout{border:1px solid #e1e4ea;border-radius:6px;padding:6px 10px;margin:6px 0}.rollout-head{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.split{display:flex;height:12px;border-radius:6px;overflow:hidden;background:#eef0f3;margin:6px 0}.split .new{background:#2f6fde}.split .old{background:#b7bfcc}
.rollout-facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 10px;margin:0;font-size:13px}.rollout-facts dt{color:#5b6475}.rollout-facts dd{margin:0;overflow-wrap:anywhere}
.hooks{list-style:none;margin:0;padding:0}.hooks .hook{margin:1px 0;overflow-wrap:anywhere}
code.triggered{color:#8f1d1d;font-weight:600}
.table-wrap{overflow-x:auto}table.alarms td{vertical-align:top;overflow-wrap:anywhere}.alarm-watches{font-size:12px}.alarm-what{font-size:12.5px;max-width:32em}
tr.alarm-row.alarm td{background:#fff5f5}.alarm-summary.firing{color:#8f1d1d;font-weight:600}
`;
