/**
 * The evaluation report as a printable page (GET /v1/reports/evaluation.html) for the county's
 * circular (通报): a server-rendered string, no script, no external asset (inline CSS and SVG), so
 * it prints the same anywhere and can be filed as it is. Every text goes through `esc`; numbers
 * are formatted here only, so the page shows exactly the report's figures.
 */
import type { Rate } from './routes/reports.js';
import type { EvaluationFigures, EvaluationReport } from './routes/evaluation.js';

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text and attribute values, escaped for HTML (and SVG inside it). */
export const esc = (v: unknown): string => String(v).replace(/[&<>"']/g, (c) => entities[c]!);

/** A rate as shown: `6/7（85.7%）`, or `0/0（—）` when nothing was due. */
export const shownRate = (r: Rate): string => `${r.numerator}/${r.denominator}（${percent(r.rate)}）`;
/** A fraction as a percentage with one decimal, `—` for none. */
export const percent = (rate: number | null): string => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

/** The table's columns: what each shows of a row's figures (the `data-figure` of its cells). */
const columns: { key: string; head: string; show: (f: EvaluationFigures) => string }[] = [
  { key: 'assigned', head: '交办任务', show: (f) => String(f.assigned) },
  { key: 'signedOnTime', head: '按时签收率', show: (f) => shownRate(f.signedOnTime) },
  { key: 'closedOnTime', head: '按期办结率', show: (f) => shownRate(f.closedOnTime) },
  { key: 'overdue', head: '超期', show: (f) => String(f.overdue) },
  { key: 'yellowCards', head: '黄牌', show: (f) => String(f.yellowCards) },
  { key: 'redCards', head: '红牌', show: (f) => String(f.redCards) },
  { key: 'escalations', head: '提请上级督办', show: (f) => String(f.escalations) },
  { key: 'returns.total', head: '退回', show: (f) => String(f.returns.total) },
  { key: 'returns.upheld', head: '退回成立', show: (f) => String(f.returns.upheld) },
  { key: 'returns.designatedBack', head: '指定回办', show: (f) => String(f.returns.designatedBack) },
  { key: 'extensions.requested', head: '申请延期', show: (f) => String(f.extensions.requested) },
  { key: 'extensions.approved', head: '批准延期', show: (f) => String(f.extensions.approved) },
  { key: 'disputes', head: '管辖争议', show: (f) => String(f.disputes) },
  { key: 'supervisionOrders.issued', head: '督办单', show: (f) => String(f.supervisionOrders.issued) },
  { key: 'supervisionOrders.answeredOnTime', head: '督办单按期答复率', show: (f) => shownRate(f.supervisionOrders.answeredOnTime) },
  { key: 'clues.onTimeRate', head: '线索按期办结率', show: (f) => (f.clues ? shownRate(f.clues.onTimeRate) : '—') },
  { key: 'clues.satisfactionRate', head: '线索满意率', show: (f) => (f.clues ? shownRate(f.clues.satisfactionRate) : '—') },
];

function row(f: EvaluationFigures, code: string, name: string): string {
  const cells = columns.map((c) => `<td data-figure="${esc(c.key)}">${esc(c.show(f))}</td>`).join('');
  return `<tr data-department="${esc(code)}"><th scope="row">${esc(name)}</th>${cells}</tr>`;
}

/** Each department's 按期办结率 as a horizontal bar (departments with nothing due are left out). */
function onTimeChart(report: EvaluationReport): string {
  const rows = report.departments.filter((d) => d.closedOnTime.rate !== null);
  const label = 160;
  const span = 460;
  const rowH = 26;
  const top = 22;
  const height = top + Math.max(rows.length, 1) * rowH + 8;
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((g) => {
      const x = label + g * span;
      return `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${height - 8}" class="grid"/><text x="${x}" y="${top - 8}" text-anchor="middle" class="tick">${g * 100}%</text>`;
    })
    .join('');
  const bars = rows
    .map((d, i) => {
      const y = top + i * rowH;
      const width = (d.closedOnTime.rate ?? 0) * span;
      const shown = `${percent(d.closedOnTime.rate)}（${d.closedOnTime.numerator}/${d.closedOnTime.denominator}）`;
      return (
        `<g class="bar" data-department="${esc(d.department)}">` +
        `<text x="${label - 8}" y="${y + 14}" text-anchor="end" class="name">${esc(d.departmentName)}</text>` +
        `<rect x="${label}" y="${y + 2}" width="${width.toFixed(2)}" height="16"><title>${esc(`${d.departmentName} 按期办结率 ${shown}`)}</title></rect>` +
        `<text x="${(label + width + 6).toFixed(2)}" y="${y + 14}" class="value">${esc(shown)}</text></g>`
      );
    })
    .join('');
  const empty = rows.length === 0 ? `<text x="${label}" y="${top + 14}" class="empty">本期无应办结任务</text>` : '';
  return `<svg id="on-time-chart" xmlns="http://www.w3.org/2000/svg" width="760" height="${height}" viewBox="0 0 760 ${height}" role="img" aria-label="各单位按期办结率">${grid}${bars}${empty}</svg>`;
}

const shortDay = (d: string) => d.slice(5);

/** The county's overdue tasks per week, as vertical bars with their counts. */
function overdueChart(report: EvaluationReport): string {
  const weeks = report.overdueByWeek;
  const left = 36;
  const plot = 700;
  const top = 22;
  const chart = 150;
  const rotate = weeks.length > 8;
  const height = top + chart + (rotate ? 70 : 30);
  const step = plot / Math.max(weeks.length, 1);
  const barW = Math.min(56, step * 0.6);
  const max = Math.max(1, ...weeks.map((w) => w.overdue));
  const axis = `<line x1="${left}" y1="${top + chart}" x2="${left + plot}" y2="${top + chart}" class="axis"/><text x="${left - 6}" y="${top + 4}" text-anchor="end" class="tick">${max}</text><text x="${left - 6}" y="${top + chart}" text-anchor="end" class="tick">0</text>`;
  const bars = weeks
    .map((w, i) => {
      const h = (w.overdue / max) * chart;
      const x = left + i * step + (step - barW) / 2;
      const mid = x + barW / 2;
      const days = w.from === w.to ? shortDay(w.from) : `${shortDay(w.from)}~${shortDay(w.to)}`;
      const labelAt = `x="${mid.toFixed(2)}" y="${top + chart + 16}"`;
      const label = rotate
        ? `<text ${labelAt} text-anchor="end" transform="rotate(-45 ${mid.toFixed(2)} ${top + chart + 16})" class="label">${esc(days)}</text>`
        : `<text ${labelAt} text-anchor="middle" class="label">${esc(days)}</text>`;
      return (
        `<g class="week" data-from="${esc(w.from)}" data-to="${esc(w.to)}">` +
        `<rect x="${x.toFixed(2)}" y="${(top + chart - h).toFixed(2)}" width="${barW.toFixed(2)}" height="${h.toFixed(2)}"><title>${esc(`${w.from} 至 ${w.to} 新增超期 ${w.overdue} 件`)}</title></rect>` +
        `<text x="${mid.toFixed(2)}" y="${(top + chart - h - 4).toFixed(2)}" text-anchor="middle" class="value">${w.overdue}</text>${label}</g>`
      );
    })
    .join('');
  return `<svg id="overdue-chart" xmlns="http://www.w3.org/2000/svg" width="760" height="${height}" viewBox="0 0 760 ${height}" role="img" aria-label="每周新增超期任务">${axis}${bars}</svg>`;
}

const style = `
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; color: #111; margin: 0 auto; max-width: 1120px; padding: 16px; }
h1 { font-size: 20px; text-align: center; margin: 0 0 6px; }
h2 { font-size: 15px; margin: 16px 0 6px; }
.meta { text-align: center; color: #444; font-size: 12px; margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 11px; }
th, td { border: 1px solid #999; padding: 3px 4px; text-align: right; white-space: nowrap; }
th[scope="row"] { text-align: left; }
thead th { background: #eee; text-align: center; white-space: normal; }
tfoot th, tfoot td { font-weight: bold; background: #f5f5f5; }
section { break-inside: avoid; }
svg text { font-size: 11px; fill: #111; }
svg .tick { fill: #666; font-size: 10px; }
svg .grid { stroke: #ddd; }
svg .axis { stroke: #666; }
#on-time-chart rect { fill: #2f6f9f; }
#overdue-chart rect { fill: #b23a3a; }
.notes { font-size: 10px; color: #444; line-height: 1.5; }
@media print { body { padding: 0; max-width: none; } }
`;

const notes = [
  '交办任务：本期交办的部门任务（事项环节、独立任务、督办单、线索和风险预警任务、移送步骤）。',
  '按时签收率：本期交办、签收已有定论的任务中，在签收期限内签收（或退回）的比例。',
  '按期办结率：本期内办结或办理期限届满的任务中，在办理期限（含批准延期、退回重办）内提交办理结果的比例；退回、撤销、改派的任务不计。',
  '超期：本期首次超过本单位签收或办理期限的任务（审核期限计入审核的牵头单位）；黄牌、红牌、提请上级督办按期限所属单位计。',
  '退回成立、指定回办：本期作出决定的管辖争议中，改由其他单位办理的、指定由退回单位办理的。',
  '全县合计为各单位之和（管辖争议每件计一次）。',
];

/** The whole page for `report`. */
export function renderEvaluationPage(report: EvaluationReport): string {
  const title = `${report.countyName}综合监管考核情况通报`;
  const head = columns.map((c) => `<th scope="col">${esc(c.head)}</th>`).join('');
  const body = report.departments.map((d) => row(d, d.department, d.departmentName)).join('');
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`${title}（${report.from} 至 ${report.to}）`)}</title>
<style>${style}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta" id="period">考核期间：${esc(report.from)} 至 ${esc(report.to)}　数据截至：${esc(report.asOf.slice(0, 16).replace('T', ' '))}</p>
</header>
<section>
<h2>一、各单位考核指标</h2>
<table id="figures">
<thead><tr><th scope="col">单位</th>${head}</tr></thead>
<tbody>${body || `<tr><td colspan="${columns.length + 1}">本期无考核数据</td></tr>`}</tbody>
<tfoot>${row(report.total, report.county, `${report.countyName}合计`)}</tfoot>
</table>
</section>
<section>
<h2>二、各单位按期办结率</h2>
${onTimeChart(report)}
</section>
<section>
<h2>三、每周新增超期任务（全县合计 ${esc(report.total.overdue)} 件）</h2>
${overdueChart(report)}
</section>
<section class="notes">
<h2>口径说明</h2>
${notes.map((n) => `<p>${esc(n)}</p>`).join('\n')}
</section>
</body>
</html>
`;
}
