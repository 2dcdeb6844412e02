/** Hand-rolled SVG bar charts: no dependencies, deterministic output. */

export interface Bar {
  series: string;
  value: number;
}
export interface Group {
  label: string;
  bars: Bar[];
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The legend, wrapped to `width`; returns its markup and the y below it. */
function legend(
  series: string[],
  colors: Record<string, string>,
  x0: number,
  y0: number,
  width: number,
): { svg: string; bottom: number } {
  let x = x0;
  let y = y0;
  const parts = series.map((s) => {
    const w = 24 + s.length * 7;
    if (x + w > width - 10 && x > x0) {
      x = x0;
      y += 16;
    }
    const out =
      `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${colors[s] ?? '#888'}"/>` +
      `<text x="${x + 14}" y="${y}" font-size="12" ${FONT}>${esc(s)}</text>`;
    x += w;
    return out;
  });
  return { svg: parts.join(''), bottom: series.length === 0 ? y0 - 16 : y };
}

/**
 * Horizontal bars of ratios on a log2 axis, drawn from 1× (the reference) to the value:
 * right of the line is faster than the reference, left is slower.
 */
export function ratioChart(o: {
  title: string;
  reference: string;
  groups: Group[];
  series: string[];
  colors: Record<string, string>;
}): string {
  const values = o.groups
    .flatMap((g) => g.bars.map((b) => b.value))
    .filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.min(-1, Math.floor(Math.log2(Math.min(...values, 1))));
  const hi = Math.max(1, Math.ceil(Math.log2(Math.max(...values, 1))));
  const labelW = 130;
  const plotW = 560;
  const width = labelW + plotW + 60;
  const barH = 11;
  const gap = 2;
  const groupGap = 10;
  const key = legend(o.series, o.colors, labelW, 38, width);
  const top = key.bottom + 30;
  const groupH = (n: number) => n * (barH + gap) - gap;
  const height = top + o.groups.reduce((h, g) => h + groupH(g.bars.length) + groupGap, 0) + 30;
  const x = (v: number) => labelW + ((Math.log2(v) - lo) / (hi - lo)) * plotW;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  parts.push(`<text x="10" y="18" font-size="14" font-weight="600" ${FONT}>${esc(o.title)}</text>`);
  parts.push(key.svg);
  const bottom = height - 26;
  for (let e = lo; e <= hi; e++) {
    const v = 2 ** e;
    const xx = x(v).toFixed(1);
    parts.push(
      `<line x1="${xx}" y1="${top - 6}" x2="${xx}" y2="${bottom}" stroke="${e === 0 ? '#333' : '#ddd'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`,
    );
    const label = v >= 1 ? `${v}×` : `1/${1 / v}×`;
    parts.push(
      `<text x="${xx}" y="${bottom + 14}" font-size="11" text-anchor="middle" fill="#555" ${FONT}>${label}</text>`,
    );
  }
  parts.push(
    `<text x="${x(1) + 4}" y="${top - 8}" font-size="11" fill="#333" ${FONT}>${esc(o.reference)} = 1×</text>`,
  );
  let y = top;
  for (const g of o.groups) {
    const h = groupH(g.bars.length);
    parts.push(
      `<text x="${labelW - 8}" y="${(y + h / 2 + 4).toFixed(1)}" font-size="12" text-anchor="end" ${FONT}>${esc(g.label)}</text>`,
    );
    for (const b of g.bars) {
      if (Number.isFinite(b.value) && b.value > 0) {
        const x1 = Math.min(x(1), x(b.value));
        const w = Math.max(1, Math.abs(x(b.value) - x(1)));
        parts.push(
          `<rect x="${x1.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${o.colors[b.series] ?? '#888'}"><title>${esc(`${g.label} ${b.series}: ${b.value.toFixed(2)}×`)}</title></rect>`,
        );
        const right = b.value >= 1;
        const tx = right ? x(b.value) + 3 : x(b.value) - 3;
        parts.push(
          `<text x="${tx.toFixed(1)}" y="${y + barH - 2}" font-size="10" text-anchor="${right ? 'start' : 'end'}" fill="#333" ${FONT}>${b.value.toFixed(2)}</text>`,
        );
      }
      y += barH + gap;
    }
    y += groupGap - gap;
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Plain horizontal bars on a linear axis from 0. */
export function valueChart(o: {
  title: string;
  unit: string;
  groups: Group[];
  series: string[];
  colors: Record<string, string>;
}): string {
  const max = Math.max(
    ...o.groups.flatMap((g) => g.bars.map((b) => b.value)).filter(Number.isFinite),
    1e-9,
  );
  const labelW = 130;
  const plotW = 520;
  const width = labelW + plotW + 100;
  const barH = 14;
  const gap = 3;
  const key = legend(o.series, o.colors, labelW, 38, width);
  const top = key.bottom + 20;
  const height = top + o.groups.reduce((h, g) => h + g.bars.length * (barH + gap) + 8, 0) + 10;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  parts.push(`<text x="10" y="18" font-size="14" font-weight="600" ${FONT}>${esc(o.title)}</text>`);
  parts.push(key.svg);
  let y = top;
  for (const g of o.groups) {
    const h = g.bars.length * (barH + gap) - gap;
    parts.push(
      `<text x="${labelW - 8}" y="${(y + h / 2 + 4).toFixed(1)}" font-size="12" text-anchor="end" ${FONT}>${esc(g.label)}</text>`,
    );
    for (const b of g.bars) {
      const w = Math.max(1, (b.value / max) * plotW);
      parts.push(
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${o.colors[b.series] ?? '#888'}"/>`,
      );
      parts.push(
        `<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 3}" font-size="11" fill="#333" ${FONT}>${b.value.toFixed(1)} ${esc(o.unit)}</text>`,
      );
      y += barH + gap;
    }
    y += 8;
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
