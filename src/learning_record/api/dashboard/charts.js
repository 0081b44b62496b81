// Small SVG charts, drawn by hand: a line chart of a few series and a bar chart.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function formatTick(value) {
  if (value >= 1000) return (value / 1000).toFixed(value >= 10000 ? 0 : 1) + "k";
  if (value >= 10 || value === 0) return value.toFixed(0);
  return value.toFixed(value >= 1 ? 1 : 2);
}

// series: arrays of numbers (null for a gap), oldest first, all of the same length `slots`.
function drawLines(svg, series, { slots = 80, unit = "", area = true } = {}) {
  const [width, height] = [320, 110];
  const [left, top, bottom] = [34, 8, 12];
  svg.replaceChildren();
  const values = series.flat().filter((v) => v !== null && Number.isFinite(v));
  const max = niceMax(Math.max(0, ...values));
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const x = (i) => left + ((width - left - 4) * i) / Math.max(slots - 1, 1);
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    svg.append(svgElement("line", { class: "grid", x1: left, x2: width, y1: y(value), y2: y(value) }));
    svg.append(svgElement("text", { class: "axis-label", x: left - 4, y: y(value) + 3, "text-anchor": "end" },
      formatTick(value) + unit));
  }
  series.forEach((points, index) => {
    const offset = slots - points.length;
    let path = "";
    points.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      path += (path && points[i - 1] !== null ? "L" : "M") + x(i + offset).toFixed(1) + "," + y(v).toFixed(1);
    });
    if (!path) return;
    if (area && index === 0 && series.length === 1 && points.length > 1) {
      const first = offset + points.findIndex((v) => v !== null);
      svg.append(svgElement("path", {
        class: "area",
        d: path + `L${x(slots - 1)},${y(0)}L${x(first)},${y(0)}Z`,
      }));
    }
    svg.append(svgElement("path", { class: `series s${index}`, d: path }));
  });
}

// bars: [{label, value, state}] where state is "", "behind" or "stuck".
function drawBars(svg, bars, { unit = "" } = {}) {
  const [width, height] = [640, 130];
  const [left, top, bottom] = [34, 8, 26];
  svg.replaceChildren();
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  for (const fraction of [0, 0.5, 1]) {
    svg.append(svgElement("line", { class: "grid", x1: left, x2: width, y1: y(max * fraction), y2: y(max * fraction) }));
    svg.append(svgElement("text", { class: "axis-label", x: left - 4, y: y(max * fraction) + 3, "text-anchor": "end" },
      formatTick(max * fraction) + unit));
  }
  const slot = (width - left) / Math.max(bars.length, 1);
  bars.forEach((bar, i) => {
    const barWidth = Math.max(Math.min(slot * 0.7, 40), 2);
    const bx = left + slot * i + (slot - barWidth) / 2;
    const by = y(bar.value);
    svg.append(svgElement("rect", {
      class: `bar ${bar.state}`, x: bx.toFixed(1), y: by.toFixed(1), width: barWidth.toFixed(1),
      height: Math.max(y(0) - by, bar.value > 0 ? 1 : 0).toFixed(1),
      "data-label": bar.label, "data-value": bar.value,
    }));
    svg.append(svgElement("text", { class: "bar-label", x: (bx + barWidth / 2).toFixed(1), y: height - 12, "text-anchor": "middle" },
      bar.short));
    svg.append(svgElement("text", { class: "bar-label", x: (bx + barWidth / 2).toFixed(1), y: height - 2, "text-anchor": "middle" },
      String(bar.value)));
  });
}
