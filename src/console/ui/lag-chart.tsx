/** Total lag of a group over time (uPlot), redrawn in place as samples arrive. */
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import type { LagSample } from "./api.js";

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function options(width: number, height: number): uPlot.Options {
  const axis: uPlot.Axis = {
    stroke: cssVar("--muted"),
    grid: { stroke: cssVar("--grid"), width: 1 },
    ticks: { stroke: cssVar("--grid"), width: 1 },
  };
  return {
    width,
    height,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [{ ...axis }, { ...axis, size: 60 }],
    series: [
      {},
      {
        label: "Total lag",
        stroke: cssVar("--accent"),
        fill: cssVar("--accent-fill"),
        width: 2,
        points: { show: false },
      },
    ],
  };
}

/** The theme attribute on <html>, followed as the user toggles it. */
function useDocumentTheme(): string {
  const [theme, setTheme] = useState(document.documentElement.dataset.theme ?? "");
  useEffect(() => {
    const observer = new MutationObserver(() => setTheme(document.documentElement.dataset.theme ?? ""));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    return () => observer.disconnect();
  }, []);
  return theme;
}

export function LagChart({ samples }: { samples: LagSample[] }) {
  const theme = useDocumentTheme();
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = (): uPlot.AlignedData => [samples.map((s) => s.at / 1000), samples.map((s) => s.totalLag)];

  // (Re)create on mount and when the theme changes: uPlot takes colours at creation.
  useEffect(() => {
    const el = box.current!;
    const p = new uPlot(options(el.clientWidth || 600, 220), data(), el);
    plot.current = p;
    const resize = new ResizeObserver(() => p.setSize({ width: el.clientWidth || 600, height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      p.destroy();
      plot.current = null;
    };
  }, [theme]);

  useEffect(() => {
    plot.current?.setData(data());
  });

  return <div class="chart" ref={box} role="img" aria-label="Total lag over time" data-testid="lag-chart" />;
}
