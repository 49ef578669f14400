/* Live plots (playground/liveplot.py): one fixed Plotly div per plot, redrawn in place with Plotly.react.
   Gradio 6.31's gr.Plot builds a new Plotly div on every update and never frees the old one; this keeps
   one div per plot for the page's life. pgLive.set(key, value) gets the JSON the server sent (a figure,
   "" or null: clear, "hidden": hide the block); pgLive.mount(key, element) runs when its gr.HTML mounts. */
(() => {
  const L = (window.pgLive = window.pgLive || {});
  if (L.set) return;
  const script = document.currentScript;
  const plotlyUrl = script && script.dataset.plotly;
  const CONFIG = { displaylogo: false, responsive: false };
  const plots = {};                  // key -> {div, fig, shown, dirty}
  const style = document.createElement("style");
  style.textContent = ".pg-liveplot { width: 100%; } .pg-liveplot-src, .pg-liveplot-off { display: none !important; }";
  document.head.appendChild(style);
  let loading = null;

  function withPlotly(cb) {
    if (window.Plotly) return cb(window.Plotly);
    if (!loading) {
      loading = new Promise((ok, fail) => {
        const s = document.createElement("script");
        s.src = plotlyUrl;
        s.onload = ok;
        s.onerror = fail;
        document.head.appendChild(s);
      });
    }
    loading.then(() => cb(window.Plotly));
  }

  // ---- projector and dark styling (playground/display.py): applied to a copy of the figure at draw time, so
  // the server sends one figure whatever the mode, and a switch restyles what is drawn without retraining
  const root = document.documentElement;
  const PROJECTOR = "pg-projector";
  // figures.PALETTE and the greys the figures use -> darker (projector on a light page) / lighter (dark page)
  const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777",
                   "#4b5563", "#65a30d", "#cbd5e1", "#94a3b8", "#64748b", "#e2e8f0", "#334155", "#0f172a", "black",
                   "#f8fafc"];
  const CONTRAST = ["#1d3fd6", "#c00000", "#087a2a", "#7000c8", "#c24100", "#006d8f", "#8a6200", "#b0005e",
                    "#111827", "#3f6b00", "#8a97a8", "#5b6b80", "#334155", "#94a3b8", "#0f172a", "#000000", "black",
                    "#f8fafc"];
  const DARK = ["#60a5fa", "#f87171", "#4ade80", "#c084fc", "#fb923c", "#22d3ee", "#facc15", "#f472b6",
                "#d1d5db", "#a3e635", "#4b5563", "#6b7280", "#9ca3af", "#374151", "#cbd5e1", "#f1f5f9", "#f1f5f9",
                "#1f2937"];
  const mode = () => ({ projector: root.classList.contains(PROJECTOR),
                        dark: !!document.body && document.body.classList.contains("dark") });
  L.mode = mode;

  function recolor(c, table) {
    if (typeof c === "string") { const i = PALETTE.indexOf(c.toLowerCase()); return i < 0 ? c : table[i]; }
    return Array.isArray(c) ? c.map((x) => recolor(x, table)) : c;
  }
  const scaled = (v, k, dflt) => (typeof v === "number" ? v : dflt) * k;

  function styleTrace(t, m, table) {
    const o = { ...t };
    if (t.line) o.line = { ...t.line, color: recolor(t.line.color, table) };
    if (t.marker) {
      o.marker = { ...t.marker, color: recolor(t.marker.color, table) };
      if (t.marker.line) o.marker.line = { ...t.marker.line, color: m.dark && t.marker.line.color === "white"
        ? "rgba(0,0,0,0)" : recolor(t.marker.line.color, table) };
    }
    if (t.fillcolor) o.fillcolor = recolor(t.fillcolor, table);
    if (m.projector) {
      const mode = t.mode || "";
      if (o.line && (mode.includes("lines") || t.type === "scatter" && !t.mode)) o.line.width = scaled(t.line.width, 2, 2);
      else if (mode.includes("lines")) o.line = { width: 4 };
      if (o.marker && typeof o.marker.size === "number") o.marker.size = o.marker.size * 1.6;
      else if (mode.includes("markers")) o.marker = { ...(o.marker || {}), size: 10 };
      if (typeof t.opacity === "number" && t.opacity < 0.6) o.opacity = Math.min(1, t.opacity * 1.5);
    }
    return o;
  }

  function styleLayout(layout, m, table, theme) {
    const o = { ...layout };
    const k = m.projector ? 1.35 : 1;
    const base = (layout.font && layout.font.size) || 15;
    o.font = { ...(layout.font || {}), size: Math.round(base * k) };
    if (m.dark) o.font.color = theme.text;
    if (layout.title && typeof layout.title === "object" && layout.title.font)
      o.title = { ...layout.title, font: { ...layout.title.font, size: Math.round((layout.title.font.size || base) * k),
        ...(m.dark ? { color: theme.text } : {}) } };
    if (Array.isArray(layout.annotations)) o.annotations = layout.annotations.map((a) => {
      const f = a.font || {};
      // subplot titles grow less than the rest: their wrapping was measured for the normal size
      return { ...a, font: { ...f, size: f.size ? Math.round(f.size * (m.projector ? 1.15 : 1)) : undefined,
        color: f.color ? recolor(f.color, table) : (m.dark ? theme.text : undefined) } };
    });
    const keys = Object.keys(layout).filter((n) => /^[xy]axis\d*$/.test(n));
    for (const n of new Set([...keys, "xaxis", "yaxis"])) {
      const a = { ...(layout[n] || {}) };
      if (m.dark) Object.assign(a, { gridcolor: theme.grid, zerolinecolor: theme.grid, linecolor: theme.grid });
      else if (m.projector) Object.assign(a, { gridcolor: "#cbd5e1", linecolor: "#334155" });
      if (m.projector) Object.assign(a, { gridwidth: 1.5, linewidth: 2, showline: true, nticks: 5, automargin: true });
      o[n] = a;
    }
    if (m.dark) {
      o.paper_bgcolor = theme.paper;
      o.plot_bgcolor = theme.plot;
      o.legend = { ...(layout.legend || {}), bgcolor: "rgba(0,0,0,0)", font: { ...((layout.legend || {}).font || {}), color: theme.text } };
      o.hoverlabel = { ...(layout.hoverlabel || {}), bgcolor: theme.plot, font: { color: theme.text } };
      if (Array.isArray(layout.shapes)) o.shapes = layout.shapes.map((s) => s.line
        ? { ...s, line: { ...s.line, color: recolor(s.line.color, table) } } : s);
    }
    if (m.projector) {
      const mg = layout.margin || {};
      o.margin = { ...mg, l: scaled(mg.l, 1.25, 55), b: scaled(mg.b, 1.25, 45) };
      if (typeof layout.height === "number") o.height = Math.round(layout.height * 1.1);
    }
    return o;
  }

  function theme(div) {       // the page's own colours (Gradio's CSS variables), with fallbacks
    const cs = getComputedStyle(div);
    const v = (name, dflt) => (cs.getPropertyValue(name) || "").trim() || dflt;
    return { paper: v("--block-background-fill", "#111827"), plot: v("--background-fill-secondary", "#1f2937"),
             text: v("--body-text-color", "#f3f4f6"), grid: v("--border-color-primary", "#374151") };
  }

  // ---- panels that fit the plot's width (issue 15, item 9: subplot titles overprinted at 1280 px)
  const PANEL_MIN = 190;           // px: narrower panels wrap onto a second row (projector mode)
  const plain = (t) => t.replace(/<br\s*\/?>/g, " ").replace(/<[^>]*>/g, "").replace(/\s+/g, " ").trim();
  function wrapWords(text, cpl) {
    const lines = [];
    let cur = "";
    for (const w of text.split(" ")) {
      if (cur && (cur + " " + w).length > cpl) { lines.push(cur); cur = w; } else cur = cur ? cur + " " + w : w;
    }
    if (cur) lines.push(cur);
    return lines;
  }
  // side-by-side panels (xaxis, xaxis2, ... with domains) -> (xaxis key, yaxis key, domain), left to right
  function panels(layout) {
    return Object.keys(layout).filter((n) => /^xaxis\d*$/.test(n) && layout[n] && Array.isArray(layout[n].domain))
      .map((n) => ({ x: n, y: "yaxis" + ((layout[n].anchor || "y").slice(1)), d: layout[n].domain }))
      .sort((a, b) => a.d[0] - b.d[0]);
  }
  function isTitle(a) {
    return a.xref === "paper" && a.yref === "paper" && a.yanchor === "bottom" && a.showarrow === false
      && typeof a.text === "string";
  }

  // projector: n narrow panels in one row become rows of wider ones; each title follows its panel
  function regrid(layout, width, size) {
    const ps = panels(layout);
    const mg = layout.margin || {};
    const inner = width - (mg.l || 80) - (mg.r || 80);
    if (ps.length < 3 || inner / ps.length >= PANEL_MIN || typeof layout.height !== "number") return layout;
    const cols = Math.max(2, Math.floor(inner / PANEL_MIN)), rows = Math.ceil(ps.length / cols);
    if (rows === 1) return layout;
    const o = { ...layout };
    const rowPx = 160, title = 3.2 * size, below = 1.8 * size;     // a row: title (up to 3 lines), plot, ticks
    const plotH = rows * rowPx + (rows - 1) * (title + below);
    o.height = Math.round(plotH + (mg.t || 60) + (mg.b || 80));
    const gx = 0.08;
    const anns = (layout.annotations || []).map((a) => ({ ...a }));
    ps.forEach((p, i) => {
      const r = Math.floor(i / cols), c = i % cols;
      const top = 1 - (r * (rowPx + title + below)) / plotH, bottom = top - rowPx / plotH;
      const x0 = c / cols + (c ? gx / 2 : 0), x1 = (c + 1) / cols - (c < cols - 1 ? gx / 2 : 0);
      const t = anns.find((a) => isTitle(a) && p.d[0] <= a.x && a.x <= p.d[1] && !a._moved);
      if (t) Object.assign(t, { x: (x0 + x1) / 2, y: top, xanchor: "center", _moved: true });
      // the axis title ("step") only under the last row's panels
      o[p.x] = { ...layout[p.x], domain: [x0, x1], ...(i + cols < ps.length ? { title: { text: "" } } : {}) };
      o[p.y] = { ...(layout[p.y] || {}), domain: [Math.max(0, bottom), Math.min(1, top)] };
    });
    o.annotations = anns.map(({ _moved, ...a }) => a);
    return o;
  }

  // the figure's own title wraps to the plot's width (2 lines at most, else it shrinks); the top margin grows
  function fitTitle(o, width) {
    const t = o.title;
    const text = t && (typeof t === "string" ? t : t.text);
    if (!text) return;
    const font = (typeof t === "object" && t.font) || {};
    let size = font.size || Math.round(((o.font && o.font.size) || 15) * 1.2);
    const plainText = plain(text), w = width - 24;
    let lines = wrapWords(plainText, Math.max(8, Math.floor(w / (0.55 * size))));
    if (lines.length > 2) {
      size = Math.max(10, Math.floor((w * 2) / (0.55 * plainText.length * 1.1)));
      lines = wrapWords(plainText, Math.max(8, Math.floor(w / (0.55 * size))));
    }
    o.title = { ...(typeof t === "object" ? t : {}), text: lines.join("<br>"), font: { ...font, size } };
    const mg = o.margin || {}, need = Math.ceil(20 + 1.3 * size * lines.length);
    if (need > (typeof mg.t === "number" ? mg.t : 80)) o.margin = { ...mg, t: need };
  }

  // a title wider than its panel wraps at word boundaries (at most 3 lines, else it shrinks); the top margin
  // and the figure grow to hold the lines of the first row's titles
  function fitTitles(layout, width) {
    if (!Array.isArray(layout.annotations) || !width) {
      if (!width) return layout;
      const o = { ...layout };
      fitTitle(o, width);
      return o;
    }
    const mg = layout.margin || {};
    const inner = width - (typeof mg.l === "number" ? mg.l : 80) - (typeof mg.r === "number" ? mg.r : 80);
    const ps = panels(layout);
    const base = (layout.font && layout.font.size) || 15;
    let topLines = 0, topSize = base;
    const annotations = layout.annotations.map((a) => {
      if (!isTitle(a)) return a;
      const p = ps.find((p) => p.d[0] <= a.x && a.x <= p.d[1]);
      const w = (p ? p.d[1] - p.d[0] : 1) * inner + 16;
      let size = (a.font && a.font.size) || base;
      const text = plain(a.text), bold = /<b>/.test(a.text);
      let lines = wrapWords(text, Math.max(6, Math.floor(w / (0.6 * size))));
      if (lines.length > 3) {
        size = Math.max(10, Math.floor((w * 3) / (0.6 * text.length * 1.15)));
        lines = wrapWords(text, Math.max(6, Math.floor(w / (0.6 * size))));
      }
      const atTop = !p || !layout[p.y] || !layout[p.y].domain || layout[p.y].domain[1] >= 0.999;
      if (atTop) { topLines = Math.max(topLines, lines.length); topSize = Math.max(topSize, size); }
      const body = lines.join("<br>");
      return { ...a, text: bold ? `<b>${body}</b>` : body, xanchor: "center", font: { ...(a.font || {}), size } };
    });
    const o = { ...layout, annotations };
    fitTitle(o, width);
    const need = Math.ceil(14 + 1.3 * topSize * topLines);
    const t = typeof mg.t === "number" ? mg.t : 60;
    if (topLines && need > t) {
      o.margin = { ...mg, t: need };
      if (typeof layout.height === "number") o.height = layout.height + need - t;
    }
    return o;
  }

  // the figure as drawn in the current mode and width (the server's figure, titles fitted, when no mode is on)
  function styled(fig, div) {
    const m = mode();
    let data = fig.data || [], layout = fig.layout || {};
    if (m.projector || m.dark) {
      const table = m.dark ? DARK : CONTRAST;
      data = data.map((t) => styleTrace(t, m, table));
      layout = styleLayout(layout, m, table, m.dark ? theme(div) : null);
    }
    if (m.projector) layout = regrid(layout, div.clientWidth, (layout.font && layout.font.size) || 20);
    // the presenter layout's key view sits in a narrow column: about as tall as it is wide
    if (m.projector && typeof layout.height === "number" && div.closest(".pg-keyview"))
      layout = { ...layout, height: Math.min(layout.height, Math.max(300, Math.round(div.clientWidth * 1.05))) };
    return { data, layout: fitTitles(layout, div.clientWidth) };
  }
  L.style = styled;

  const get = (key) => plots[key] || (plots[key] = { div: null, fig: null, shown: true, dirty: false });

  function draw(key) {
    const p = plots[key];
    const block = document.getElementById(key);
    if (block && p.shown) for (const el of [block, ...block.querySelectorAll(".pg-liveplot-off")]) el.classList.remove("pg-liveplot-off");
    else if (block) block.classList.add("pg-liveplot-off");
    if (!p.div || !p.div.isConnected || !p.shown) return;
    if (p.div.clientWidth === 0) { p.dirty = true; return; }     // in a hidden tab: drawn when it shows
    p.dirty = false;
    if (!p.fig && !p.div._fullLayout) return;       // nothing drawn, nothing to clear (plotly.js not needed yet)
    withPlotly((Plotly) => {
      if (!p.fig) {
        if (p.div._fullLayout) Plotly.purge(p.div);
        p.div.replaceChildren();
        return;
      }
      const f = styled(p.fig, p.div);
      Plotly.react(p.div, f.data || [], f.layout || {}, CONFIG);
    });
  }

  L.set = (key, value) => {
    const p = get(key);
    p.shown = value !== "hidden";
    if (value === "hidden" || !value) p.fig = null;
    else {
      try { p.fig = typeof value === "string" ? JSON.parse(value) : value; }
      catch (e) { console.error("live plot", key, e); p.fig = null; }
    }
    draw(key);
  };

  L.mount = (key, element) => {
    const p = get(key);
    const div = element.querySelector(".pg-liveplot");
    if (!div || div === p.div) return;
    if (p.div && p.div._fullLayout && window.Plotly) window.Plotly.purge(p.div);
    p.div = div;
    let queued = false, width = div.clientWidth;
    // a plot drawn (or due) while its tab was hidden is laid out when the tab shows
    new ResizeObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        if (div !== p.div || div.clientWidth === 0 || div.clientWidth === width) return;
        width = div.clientWidth;
        if (p.dirty) draw(key);
        else if (div._fullLayout && window.Plotly)             // then the titles refit to the new width
          Promise.resolve(window.Plotly.Plots.resize(div)).then(() => draw(key));
      });
    }).observe(div);
    draw(key);
  };

  // a mode switched (projector on <html>, Gradio's dark on <body>): every plot redraws in its new style
  let lastMode = "";
  function restyle() {
    const m = mode(), now = `${m.projector}/${m.dark}`;
    if (now === lastMode) return;
    lastMode = now;
    for (const key of Object.keys(plots)) if (plots[key].fig) draw(key);
  }
  L.restyle = restyle;
  const watch = new MutationObserver(restyle);
  watch.observe(root, { attributes: true, attributeFilter: ["class"] });
  const watchBody = () => { watch.observe(document.body, { attributes: true, attributeFilter: ["class"] }); restyle(); };
  if (document.body) watchBody(); else document.addEventListener("DOMContentLoaded", watchBody);

  // calls made before this script ran (playground/liveplot.py's _shim queued them)
  for (const call of ["mount", "set"]) {
    for (const args of L["q_" + call] || []) L[call](...args);
    L["q_" + call] = null;
  }
})();
