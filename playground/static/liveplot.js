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
      Plotly.react(p.div, p.fig.data || [], p.fig.layout || {}, CONFIG);
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
        else if (div._fullLayout && window.Plotly) window.Plotly.Plots.resize(div);
      });
    }).observe(div);
    draw(key);
  };

  // calls made before this script ran (playground/liveplot.py's _shim queued them)
  for (const call of ["mount", "set"]) {
    for (const args of L["q_" + call] || []) L[call](...args);
    L["q_" + call] = null;
  }
})();
