// kiln flame graph script, embedded in every SVG kiln writes.
//
// #kiln-data holds every frame of the graph (one line each, in preorder) and #kiln-names the
// names; frames at least 1 px wide are also <rect>/<text> elements of #frames, the picture seen
// without script. This script reads the data once into typed arrays. A zoomed view is drawn into
// #zoom: only the zoomed subtree and its ancestors, while #frames is moved aside (a transform,
// so the full view costs nothing to hide and show again). Nothing here builds markup from
// strings: names reach the page only through textContent.
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.documentElement;
  const byId = (id) => document.getElementById(id);
  const cfg = byId("kiln-config");
  const num = (name) => parseFloat(cfg.getAttribute(name));
  const total = num("total");
  const factor = num("factor");
  const fh = num("frameheight");
  const fontSize = num("fontsize");
  const top = num("top");
  const framesHeight = num("framesheight");
  const margin = num("margin");
  const drawMin = Math.max(num("minwidth"), num("elementminwidth"));
  const drawMinText = String(num("minwidth"));
  const icicle = cfg.getAttribute("icicle") === "1";
  const countName = cfg.getAttribute("countname");
  const width = svg.viewBox.baseVal.width;
  const span = width - 2 * margin;
  const charWidth = fontSize * 0.6;
  const searchColor = "#e600e6";
  const names = byId("kiln-names").textContent.split("\n");

  const framesG = byId("frames");
  const zoomG = byId("zoom");
  const details = byId("details");
  const matchedText = byId("matched");
  const unzoomBtn = byId("unzoom");
  const searchBtn = byId("search");
  const caseBtn = byId("ignorecase");
  const clearBtn = byId("clear");
  const tip = byId("tip");
  const tipRect = tip.firstElementChild;
  const tipText = tip.lastElementChild;

  // ---- the frame model, in preorder, from #kiln-data ----
  // Line: depth, name index, weight, weight left of the frame, fill, kind, extra tooltip line.
  // Kind: 0 a frame, 1 a frame that is also an element of #frames; 2, 3 (element), 4 (not
  // drawn: flame charts) the box of a frame's children too narrow to draw, whose name field is
  // their number. The elements of #frames are the lines of kind 1 and 3, in order.
  const rects = framesG.getElementsByTagName("rect");
  const dataLines = byId("kiln-data").textContent.split("\n");
  if (dataLines[dataLines.length - 1] === "") dataLines.pop();
  const count = dataLines.length;
  const nameOf = new Int32Array(count);
  const weight = new Float64Array(count);
  const offset = new Float64Array(count);
  const depth = new Int32Array(count);
  const parent = new Int32Array(count);
  const end = new Int32Array(count);
  const fill = new Array(count);
  const extra = new Array(count);
  const kind = new Uint8Array(count);
  const narrowOf = new Int32Array(count).fill(-1);  // a frame's narrow box
  {
    const open = [];  // the current path, by depth
    let next = 0;
    for (let i = 0; i < count; i++) {
      const f = dataLines[i].split("\t");
      const d = +f[0];
      depth[i] = d;
      nameOf[i] = +f[1];
      weight[i] = +f[2];
      offset[i] = +f[3];
      fill[i] = "#" + f[4];
      kind[i] = +f[5];
      if (kind[i] === 1 || kind[i] === 3) {
        const r = rects[next++];
        r.kilnIndex = i;
      }
      if (f.length > 6) extra[i] = f[6];
      open.length = d;
      parent[i] = d > 0 ? open[d - 1] : -1;
      if (kind[i] >= 2) narrowOf[parent[i]] = i;
      open.push(i);
    }
    const stack = [];
    for (let i = 0; i < count; i++) {
      while (stack.length && depth[stack[stack.length - 1]] >= depth[i]) end[stack.pop()] = i;
      stack.push(i);
    }
    while (stack.length) end[stack.pop()] = count;
  }

  // ---- state: zoomed frame and search, mirrored in the URL ----
  let zoomed = 0;
  let pattern = "";
  let ignoreCase = false;
  let matches = null;  // Uint8Array per name index, or null without a search
  let searchError = "";
  const highlighted = [];  // static rects whose fill the search changed

  // Frames too narrow to draw, per name (#kiln-narrow): weights of the frames of each name that
  // are not in the data and have no ancestor of that name, so one name's share is exact.
  const narrowNames = [];
  const narrowWeights = [];
  let narrowTotal = 0;
  let narrowRest = 0;
  let narrowRestNames = 0;
  {
    const el = byId("kiln-narrow");
    if (el) {
      narrowTotal = parseFloat(el.getAttribute("total"));
      narrowRest = parseFloat(el.getAttribute("rest"));
      narrowRestNames = parseInt(el.getAttribute("restnames"), 10);
      for (const line of el.textContent.split("\n")) {
        const tab = line.indexOf("\t");
        if (tab < 0) continue;
        narrowWeights.push(+line.slice(0, tab));
        narrowNames.push(line.slice(tab + 1));
      }
    }
  }
  let narrowMatched = 0;  // summed narrow weight of the matching names
  let narrowMatchedNames = 0;

  const isNarrow = (i) => kind[i] >= 2;
  const narrowLabel = (n) => "[" + formatNumber(n) + (n === 1 ? " narrow frame]" : " narrow frames]");
  const frameName = (i) => (i === 0 ? "all" : isNarrow(i) ? narrowLabel(nameOf[i]) : names[nameOf[i]]);
  const isMatch = (i) => matches !== null && i !== 0 && !isNarrow(i) && matches[nameOf[i]] === 1;
  const yOf = (d) => (icicle ? top + d * fh : top + framesHeight - (d + 1) * fh);

  function formatNumber(v) {
    return v.toLocaleString("en-US");
  }

  function formatCount(value) {
    const v = value * factor;
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return v.toLocaleString("en-US", { maximumFractionDigits: 3 });
  }
  const percent = (part, whole) => (whole > 0 ? (100 * part) / whole : 0).toFixed(2) + "%";

  function labelFor(name, px) {
    const fit = Math.floor((px - 6) / charWidth);
    if (fit < 3) return "";
    name = name.replace(/_\[[kjiw]\]$/, "");
    const chars = Array.from(name);
    if (chars.length <= fit) return name;
    return chars.slice(0, fit - 2).join("") + "..";
  }

  // ---- drawing a zoomed view ----
  function addFrame(parentNode, i, x, px, faded) {
    const y = yOf(depth[i]);
    const r = document.createElementNS(NS, "rect");
    r.setAttribute("x", x.toFixed(2));
    r.setAttribute("y", y);
    r.setAttribute("width", px.toFixed(2));
    r.setAttribute("height", fh - 1);
    r.setAttribute("fill", isMatch(i) ? searchColor : fill[i]);
    if (faded) r.setAttribute("class", "faded");
    r.kilnIndex = i;
    parentNode.appendChild(r);
    const label = labelFor(frameName(i), px);
    if (label) {
      const t = document.createElementNS(NS, "text");
      t.setAttribute("x", (x + 3).toFixed(2));
      t.setAttribute("y", y + fh - 4.5);
      t.textContent = label;
      parentNode.appendChild(t);
    }
  }

  function drawZoom() {
    zoomG.textContent = "";
    if (zoomed === 0) {
      framesG.removeAttribute("transform");
      unzoomBtn.classList.add("hide");
      return;
    }
    const frag = document.createDocumentFragment();
    for (let a = parent[zoomed]; a >= 0; a = parent[a]) addFrame(frag, a, margin, span, true);
    const scale = span / weight[zoomed];
    const left = offset[zoomed];
    for (let j = zoomed; j < end[zoomed]; ) {
      const px = weight[j] * scale;
      if (px < drawMin || kind[j] === 4) {
        j = end[j];
        continue;
      }
      addFrame(frag, j, margin + (offset[j] - left) * scale, px, false);
      j++;
    }
    // Moved out of sight rather than hidden: a transform restyles nothing inside the group, so
    // hiding and showing the full view costs no work per frame.
    framesG.setAttribute("transform", "translate(-1000000 0)");
    zoomG.appendChild(frag);
    unzoomBtn.classList.remove("hide");
  }

  // ---- search ----
  function highlightStatic() {
    for (const r of highlighted) r.setAttribute("fill", fill[r.kilnIndex]);
    highlighted.length = 0;
    if (matches === null) return;
    for (const r of rects) {
      if (!isMatch(r.kilnIndex)) continue;
      r.setAttribute("fill", searchColor);
      highlighted.push(r);
    }
  }

  // Share of the zoomed frame's weight in matching frames; a match inside a match counts once.
  function updateMatched() {
    if (matches === null) {
      matchedText.textContent = searchError || " ";
      return;
    }
    let sum = 0;
    for (let j = zoomed; j < end[zoomed]; ) {
      if (isMatch(j)) {
        sum += weight[j];
        j = end[j];
      } else {
        j++;
      }
    }
    let text = "Matched: " + percent(sum, weight[zoomed]);
    if (narrowMatched > 0 && zoomed !== 0) {
      text += " (frames too narrow for the full view not counted)";
    } else if (narrowMatched > 0) {
      // Several names may share narrow stacks: their summed weight is then an upper bound.
      const exact = narrowMatchedNames === 1;
      const narrow = Math.min(narrowMatched, narrowTotal, total - sum);
      text = "Matched: " + (exact ? "" : "at most ") + percent(sum + narrow, total) + " (" +
        (exact ? "" : "at most ") + percent(narrow, total) + " in frames too narrow to draw)";
    }
    if (narrowRestNames > 0 && zoomed === 0 && percent(narrowRest, total) !== "0.00%") {
      text += "; " + formatNumber(narrowRestNames) + " narrow names (" + percent(narrowRest, total) +
        ") not searched";
    }
    matchedText.textContent = text;
  }

  function applySearch() {
    matches = null;
    narrowMatched = 0;
    narrowMatchedNames = 0;
    searchError = "";
    if (pattern !== "") {
      let re;
      try {
        re = new RegExp(pattern, ignoreCase ? "i" : "");
      } catch (e) {
        searchError = "Invalid regular expression: " + pattern;
        pattern = "";
      }
      if (re) {
        matches = new Uint8Array(names.length);
        for (let n = 0; n < names.length; n++) matches[n] = re.test(names[n]) ? 1 : 0;
        for (let n = 0; n < narrowNames.length; n++) {
          if (!re.test(narrowNames[n])) continue;
          narrowMatched += narrowWeights[n];
          narrowMatchedNames++;
        }
      }
    }
    clearBtn.classList.toggle("hide", matches === null);
    searchBtn.classList.toggle("on", matches !== null);
    caseBtn.classList.toggle("on", ignoreCase);
    highlightStatic();
  }

  // ---- URL state: #zoom=INDEX&s=REGEX&i=1 ----
  function saveState() {
    const parts = [];
    if (zoomed !== 0) parts.push("zoom=" + zoomed);
    if (pattern !== "") parts.push("s=" + encodeURIComponent(pattern));
    if (ignoreCase) parts.push("i=1");
    const hash = parts.length ? "#" + parts.join("&") : "";
    try {
      history.replaceState(null, "", location.pathname + location.search + hash);
    } catch (e) {
      if (location.hash !== hash) location.hash = hash;
    }
  }

  function loadState() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const z = parseInt(params.get("zoom") || "0", 10);
    zoomed = z > 0 && z < count ? z : 0;
    pattern = params.get("s") || "";
    ignoreCase = params.get("i") === "1";
  }

  function render() {
    applySearch();
    drawZoom();
    updateMatched();
  }

  function zoomTo(i) {
    zoomed = i;
    drawZoom();
    updateMatched();
    saveState();
  }

  function setSearch(text) {
    pattern = text;
    applySearch();
    if (zoomed !== 0) drawZoom();
    updateMatched();
    saveState();
  }

  function askSearch() {
    const text = prompt("Search for a frame name (regular expression)", pattern);
    if (text !== null) setSearch(text);
  }

  // ---- tooltip and details ----
  function describe(i) {
    const w = weight[i];
    const text = [frameName(i), formatCount(w) + " " + countName + " (" + percent(w, total) + ")"];
    if (i > zoomed && i < end[zoomed] && weight[zoomed] !== total) {
      text[1] += ", " + percent(w, weight[zoomed]) + " of the zoomed frame";
    }
    if (isNarrow(i)) {
      text.push("frames under " + drawMinText + " px each, not drawn; searches count them");
    } else if (narrowOf[i] >= 0) {
      const n = narrowOf[i];
      text.push(formatCount(weight[n]) + " " + countName + " (" + percent(weight[n], total) + ") in " +
        formatNumber(nameOf[n]) + (nameOf[n] === 1 ? " frame" : " frames") + " too narrow to draw");
    }
    if (extra[i]) text.push(extra[i]);
    return text;
  }

  function showTip(i, evt) {
    const text = describe(i);
    details.textContent = text[0] + " (" + text[1] + ")";
    tipText.textContent = "";
    text.forEach((line, k) => {
      const ts = document.createElementNS(NS, "tspan");
      ts.setAttribute("x", 6);
      ts.setAttribute("dy", k === 0 ? fontSize + 2 : fontSize + 4);
      ts.textContent = line;
      tipText.appendChild(ts);
    });
    tip.classList.remove("hide");
    const box = tipText.getBBox();
    tipRect.setAttribute("width", box.width + 12);
    tipRect.setAttribute("height", box.height + 8);
    const pt = svg.createSVGPoint();
    pt.x = evt.clientX;
    pt.y = evt.clientY;
    const p = pt.matrixTransform(svg.getScreenCTM().inverse());
    let x = p.x + 12;
    let y = p.y + 16;
    if (x + box.width + 12 > width) x = Math.max(0, p.x - box.width - 18);
    if (y + box.height + 8 > svg.viewBox.baseVal.height) y = Math.max(0, p.y - box.height - 16);
    tip.setAttribute("transform", "translate(" + x.toFixed(1) + "," + y.toFixed(1) + ")");
  }

  function hideTip() {
    tip.classList.add("hide");
    details.textContent = " ";
  }

  const frameAt = (evt) => (evt.target.kilnIndex !== undefined ? evt.target.kilnIndex : -1);

  svg.addEventListener("mousemove", (evt) => {
    const i = frameAt(evt);
    if (i >= 0) showTip(i, evt);
    else hideTip();
  });
  svg.addEventListener("mouseleave", hideTip);
  svg.addEventListener("click", (evt) => {
    const i = frameAt(evt);
    if (i >= 0 && !isNarrow(i)) {
      hideTip();
      zoomTo(i);
    }
  });
  unzoomBtn.addEventListener("click", () => zoomTo(0));
  searchBtn.addEventListener("click", askSearch);
  clearBtn.addEventListener("click", () => setSearch(""));
  caseBtn.addEventListener("click", () => {
    ignoreCase = !ignoreCase;
    setSearch(pattern);
  });
  window.addEventListener("keydown", (evt) => {
    if ((evt.ctrlKey || evt.metaKey) && evt.key === "f") {
      evt.preventDefault();
      askSearch();
    } else if (evt.key === "Escape") {
      if (zoomed !== 0) zoomTo(0);
      else if (pattern !== "") setSearch("");
    }
  });
  window.addEventListener("hashchange", () => {
    loadState();
    render();
  });

  loadState();
  render();
  svg.setAttribute("data-ready", "1");  // for tests and tools: the script has run
})();
