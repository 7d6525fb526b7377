"""A one-page, self-contained HTML report of a run: config, curves (inline SVG), final metrics, samples."""

from __future__ import annotations

import base64
import html
import math
import os
import time
from pathlib import Path

from gendisc.engine.atomic import atomic_write_text
from gendisc.engine.config import CnnConfig, RunConfig, kind_of, to_dict
from gendisc.engine.runs.folder import RunFolder
from gendisc.engine.runs.metrics import metric_values

COLORS = ("#3b82f6", "#f08c2e", "#22a06b", "#a06cf0", "#e0508a", "#14b8a6")


def svg_chart(title: str, series: dict[str, list[tuple[float, float]]], width: int = 460, height: int = 240) -> str:
    """A small line chart as SVG markup (no plotting library needed)."""
    points = [p for values in series.values() for p in values if math.isfinite(p[1])]
    if not points:
        return ""
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    left, right, top, bottom = 48, 12, 28, 28

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" class="chart">',
             f'<text x="{left}" y="16" class="title">{html.escape(title)}</text>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" class="axis"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" class="axis"/>']
    for value, y in ((y0, height - bottom), (y1, top)):
        parts.append(f'<text x="{left - 4}" y="{y + 4}" class="tick" text-anchor="end">{value:.3g}</text>')
    for value, x in ((x0, left), (x1, width - right)):
        parts.append(f'<text x="{x}" y="{height - 8}" class="tick" text-anchor="middle">{value:.0f}</text>')
    for i, (name, values) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in values if math.isfinite(y))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.append(f'<text x="{width - right - 4}" y="{top + 14 * i + 10}" class="legend" fill="{color}" '
                     f'text-anchor="end">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
h1{font-size:1.5em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:left;font-size:.9em}.chart{margin:4px;background:#fafafa;border:1px solid #eee}.title{font-weight:bold;
font-size:13px}.tick,.legend{font-size:11px}.axis{stroke:#999}img{image-rendering:pixelated;border:1px solid #ddd}"""


def write_report(run_dir: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Write the HTML report of ``run_dir`` to ``out`` (atomically) and return its path."""
    run = RunFolder(run_dir)
    cfg = run.config()
    records = run.read_metrics()
    kind = kind_of(cfg)
    values = [metric_values(r) for r in records]   # numbers only: a damaged line's "x" is no point on a chart
    keys = sorted({k for v in values for k in v})
    groups = {"Losses": [k for k in keys if "loss" in k], "Accuracy / scores": [k for k in keys if "loss" not in k]}
    charts = "".join(svg_chart(title, {k: [(r["step"], v[k]) for r, v in zip(records, values, strict=True) if k in v]
                                       for k in ks})
                     for title, ks in groups.items() if ks)
    final = records[-1] if records else {}
    final_rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{v:.5g}</td></tr>" for k, v in final.items()
                         if isinstance(v, (int, float)) and not isinstance(v, bool))
    flat = _flatten(to_dict(cfg))
    config_rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in flat.items())
    samples = [s.path for s in run.sample_files()]
    image = ""
    if samples:
        data = base64.b64encode(samples[-1].read_bytes()).decode()
        image = (f"<h2>Samples ({html.escape(samples[-1].stem)})</h2>"
                 f'<img src="data:image/png;base64,{data}" width="{4 * 242}" alt="generated samples">')
    created = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created()))
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(run.path.name)}</title>"
            f"<style>{CSS}</style></head><body><h1>{kind.upper()} run {html.escape(run.path.name)}</h1>"
            f"<p>Dataset <b>{html.escape(cfg.data.dataset)}</b>, started {created}, {len(records)} epochs recorded. "
            f"Made by GenDisc Studio.</p>{_generated_line(cfg)}"
            f"<h2>Curves</h2>{charts or '<p>No epochs recorded yet.</p>'}"
            f"<h2>Final metrics</h2><table>{final_rows}</table>{image}"
            f"<h2>Configuration</h2><table>{config_rows}</table></body></html>")
    out = Path(out)
    atomic_write_text(out, page)
    return out


def _generated_line(cfg: RunConfig) -> str:
    """What a CNN trained on generated images was trained on (nothing for the other runs)."""
    if not isinstance(cfg, CnnConfig) or cfg.generated_share <= 0:
        return ""
    # the source may be a GAN, flow or semi-supervised GAN run: named by its folder, not its kind
    name = f"<b>{html.escape(Path(cfg.generated_from).name or cfg.generated_from)}</b>"
    pool = f" (picked from {cfg.generated_pool:,} images drawn once)" if cfg.generated_pool > 0 else ""
    if cfg.generated_share >= 1:
        return (f"<p>Trained on images generated by {name}{pool} only: Classification Accuracy Score (validation and "
                f"test on real images).</p>")
    return (f"<p>Trained on real images with {100 * cfg.generated_share:g}% of every batch generated by {name}{pool}."
            f"</p>")


def _flatten(d: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
