// A daily bar chart of signups and backorders as inline SVG (no chart service), with a
// text summary for screen readers.
const NS = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
};

export function demandChart(series) {
  const width = 720, height = 220, pad = { l: 36, r: 8, t: 10, b: 28 };
  const max = Math.max(1, ...series.map((d) => Math.max(d.signups, d.backorders)));
  const step = (width - pad.l - pad.r) / Math.max(1, series.length);
  const bar = Math.max(1, step / 2 - 1);
  const y = (v) => height - pad.b - (v / max) * (height - pad.t - pad.b);
  const signups = series.reduce((s, d) => s + d.signups, 0);
  const backorders = series.reduce((s, d) => s + d.backorders, 0);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Last ${series.length} days: ${signups} waitlist signups and ${backorders} backorders.` });
  const title = svg('title');
  title.textContent = 'Signups and backorders per day';
  root.append(title);
  for (const t of [0, Math.ceil(max / 2), max]) {
    root.append(svg('line', { x1: pad.l, x2: width - pad.r, y1: y(t), y2: y(t), stroke: '#d5dbd9' }));
    const label = svg('text', { x: pad.l - 6, y: y(t) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#4f5a57' });
    label.textContent = String(t);
    root.append(label);
  }
  series.forEach((d, i) => {
    const x = pad.l + i * step;
    root.append(svg('rect', { x, y: y(d.signups), width: bar, height: height - pad.b - y(d.signups), fill: 'var(--signups)' }));
    root.append(svg('rect', { x: x + bar + 1, y: y(d.backorders), width: bar, height: height - pad.b - y(d.backorders), fill: 'var(--backorders)' }));
    if (i % Math.ceil(series.length / 6) === 0) {
      const label = svg('text', { x, y: height - 8, 'font-size': 11, fill: '#4f5a57' });
      label.textContent = d.day.slice(5);
      root.append(label);
    }
  });
  return root;
}
