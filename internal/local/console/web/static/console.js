// imgflow console: progressive enhancement over server-rendered pages.
// Live updates (SSE), graph state selection, and uploads. No dependencies.
"use strict";
(function () {
  var body = document.body;

  // ---------------------------------------------------------------- live
  // On an execution event the page re-reads itself and swaps the regions
  // marked data-live-region, keeping focus, open <details> and selection.
  var indicator = document.getElementById("live-indicator");
  function setLive(on, text) {
    if (!indicator) return;
    indicator.classList.toggle("on", on);
    indicator.querySelector(".live-text").textContent = text;
  }
  var refreshing = false, again = false, timer = 0;
  function scheduleRefresh() {
    if (timer) return;
    timer = setTimeout(function () { timer = 0; refresh(); }, 250);
  }
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(location.href, { headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (old) {
          var fresh = old.id && doc.getElementById(old.id);
          if (!fresh) return;
          var open = Array.prototype.map.call(old.querySelectorAll("details[open]"), pathOf);
          var active = document.activeElement && old.contains(document.activeElement) ? pathOf(document.activeElement) : null;
          var scrollers = Array.prototype.map.call(old.querySelectorAll(".graph-wrap, .table-scroll, pre"), function (e) { return [pathOf(e), e.scrollTop, e.scrollLeft]; });
          old.replaceWith(fresh);
          var nowOpen = fresh.querySelectorAll("details");
          nowOpen.forEach(function (d) { if (open.indexOf(pathOf(d)) >= 0) d.open = true; });
          scrollers.forEach(function (s) { var e = find(fresh, s[0]); if (e) { e.scrollTop = s[1]; e.scrollLeft = s[2]; } });
          if (active) { var a = find(fresh, active); if (a && a.focus) a.focus({ preventScroll: true }); }
        });
        document.title = doc.title;
        initGraph();
        body.dispatchEvent(new CustomEvent("console:refreshed"));
      })
      .catch(function () {})
      .finally(function () { refreshing = false; if (again) { again = false; scheduleRefresh(); } });
  }
  function pathOf(el) {
    var p = [];
    while (el && el.parentElement && !el.hasAttribute("data-live-region")) {
      p.unshift(Array.prototype.indexOf.call(el.parentElement.children, el));
      el = el.parentElement;
    }
    return p.join(".");
  }
  function find(root, path) {
    if (path === "") return root;
    var el = root;
    path.split(".").forEach(function (i) { el = el && el.children[+i]; });
    return el;
  }
  if (body.dataset.live && window.EventSource) {
    var watch = body.dataset.arn || "";
    var es = new EventSource("/api/events");
    es.onopen = function () { setLive(true, "Live"); };
    es.onerror = function () { setLive(false, "Reconnecting…"); };
    es.addEventListener("execution", function (e) {
      var ev = JSON.parse(e.data);
      if (watch) { if (ev.arn === watch) scheduleRefresh(); return; }
      if (ev.type.indexOf("Execution") === 0) scheduleRefresh();
    });
  } else {
    setLive(false, body.dataset.live ? "Live updates unavailable" : "Static page");
  }

  // ---------------------------------------------------------------- graph
  var selected = "";
  function select(name, focusPanel) {
    var panels = document.querySelectorAll("[data-state-panel]");
    if (!panels.length) return;
    selected = name;
    panels.forEach(function (p) { p.hidden = p.dataset.statePanel !== name; });
    document.querySelectorAll(".graph .node[data-state]").forEach(function (n) {
      var on = n.dataset.state === name;
      n.classList.toggle("selected", on);
      n.setAttribute("aria-pressed", on ? "true" : "false");
    });
    var hint = document.querySelector("[data-panel-hint]");
    if (hint) hint.hidden = !!name;
    if (focusPanel) {
      var p = document.querySelector('[data-state-panel="' + CSS.escape(name) + '"]');
      if (p) p.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  }
  function initGraph() {
    var failing = document.querySelector(".graph .node.failing");
    if (selected) select(selected);
    else if (failing) select(failing.dataset.state);
  }
  document.addEventListener("click", function (e) {
    var n = e.target.closest && e.target.closest(".graph .node[data-state]");
    if (n && document.querySelector("[data-state-panel]")) { select(n.dataset.state, true); return; }
    var b = e.target.closest && e.target.closest("[data-select-state]");
    if (b) {
      select(b.dataset.selectState, true);
      var node = document.querySelector('.graph .node[data-state="' + CSS.escape(b.dataset.selectState) + '"]');
      if (node) node.focus({ preventScroll: false });
    }
  });
  // A link to an event of the history (a failed Map iteration's error)
  // opens that event's details and brings it into view.
  function openEvent(id) {
    var row = document.getElementById("event-" + id);
    if (!row) return;
    var d = row.querySelector("details");
    if (d) d.open = true;
    document.querySelectorAll(".events tr.ev-highlight").forEach(function (r) { r.classList.remove("ev-highlight"); });
    row.classList.add("ev-highlight");
    row.scrollIntoView({ block: "center" });
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[data-open-event]");
    if (!a) return;
    e.preventDefault();
    history.replaceState(null, "", "#event-" + a.dataset.openEvent);
    openEvent(a.dataset.openEvent);
  });
  if (/^#event-\d+$/.test(location.hash)) openEvent(location.hash.slice(7));
  document.addEventListener("keydown", function (e) {
    var n = e.target.closest && e.target.closest(".graph .node[data-state]");
    if (n && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); select(n.dataset.state, true); }
  });
  initGraph();

  // ---------------------------------------------------------------- upload
  var zone = document.getElementById("dropzone");
  if (!zone) return;
  var maxBytes = +zone.dataset.maxBytes || 0;
  var queueEl = document.getElementById("queue"), card = document.getElementById("queue-card");
  var tpl = document.getElementById("queue-item"), summary = document.getElementById("queue-summary");
  var pending = [], active = 0, LIMIT = 3, total = 0, finished = 0;

  function human(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1048576).toFixed(1) + " MiB";
  }
  function add(file, rel) {
    var li = tpl.content.firstElementChild.cloneNode(true);
    li.querySelector(".qi-name").textContent = rel;
    li.querySelector(".qi-size").textContent = human(file.size);
    li.querySelector("progress").setAttribute("aria-label", "Upload progress of " + rel);
    li.dataset.path = rel;
    queueEl.prepend(li);
    card.hidden = false;
    total++;
    pending.push({ file: file, rel: rel, li: li });
    updateSummary();
    pump();
  }
  function updateSummary() { summary.textContent = finished + " of " + total + " uploaded"; }
  function status(li, text, cls) {
    li.querySelector(".qi-text").textContent = text;
    if (cls) li.classList.add(cls);
  }
  function pump() {
    while (active < LIMIT && pending.length) { active++; send(pending.shift()); }
  }
  function send(job) {
    var li = job.li, bar = li.querySelector("progress");
    if (maxBytes && job.file.size > maxBytes) { status(li, "Too large (limit " + human(maxBytes) + ")", "error"); active--; pump(); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("PUT", "/upload?path=" + encodeURIComponent(job.rel));
    xhr.setRequestHeader("Content-Type", job.file.type || "application/octet-stream");
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); status(li, "Uploading… " + bar.value + "%"); } };
    xhr.onload = function () {
      active--; pump();
      var res = {};
      try { res = JSON.parse(xhr.responseText); } catch (e) {}
      if (xhr.status !== 200) { status(li, "Failed: " + (res.error || xhr.status), "error"); return; }
      bar.value = 100; finished++; updateSummary();
      li.dataset.key = res.key;
      status(li, "Uploaded · waiting for the execution…");
      follow(li, res.key, res.versionId || "", 0);
    };
    xhr.onerror = function () { active--; pump(); status(li, "Failed: network error", "error"); };
    status(li, "Uploading…");
    xhr.send(job.file);
  }
  // explain shows why an upload failed, in the failure email's words: the
  // error (and rejection reason), its message and what to do.
  function explain(li, st) {
    var d = li.querySelector(".qi-detail");
    if (!st.error) { d.hidden = true; return; }
    li.querySelector(".qi-error").textContent = st.error + (st.reason ? " (" + st.reason + ")" : "") + ":";
    li.querySelector(".qi-message").textContent = st.message || "";
    li.querySelector(".qi-advice").textContent = st.advice ? "What to do: " + st.advice : "";
    d.hidden = false;
  }
  function follow(li, key, version, tries) {
    var q = li.dataset.arn ? "arn=" + encodeURIComponent(li.dataset.arn) : "key=" + encodeURIComponent(key) + "&versionId=" + encodeURIComponent(version);
    fetch("/upload/status?" + q, { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (st) {
      if (st.exists) {
        var a = li.querySelector(".qi-link");
        a.href = st.url; a.hidden = false;
        li.dataset.arn = st.arn;
        li.dataset.status = st.status;
        li.dataset.reason = st.reason || "";
        var final = st.status !== "RUNNING";
        status(li, !final ? "Processing…" : st.status + (st.summary ? " · " + st.summary : st.error ? " · " + st.error : ""), st.status === "SUCCEEDED" ? "done" : !final ? "" : "error");
        if (final) { explain(li, st); return; }
      } else if (tries > 240) { status(li, "No execution started (is the key under the upload prefix?)", "error"); return; }
      setTimeout(function () { follow(li, key, version, tries + 1); }, 500);
    }).catch(function () { setTimeout(function () { follow(li, key, version, tries + 1); }, 1000); });
  }
  document.getElementById("files").addEventListener("change", function (e) {
    Array.prototype.forEach.call(e.target.files, function (f) { add(f, f.name); });
    e.target.value = "";
  });
  document.getElementById("folder").addEventListener("change", function (e) {
    Array.prototype.forEach.call(e.target.files, function (f) { add(f, f.webkitRelativePath || f.name); });
    e.target.value = "";
  });
  ["dragenter", "dragover"].forEach(function (t) { zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); }); });
  ["dragleave", "drop"].forEach(function (t) { zone.addEventListener(t, function () { zone.classList.remove("over"); }); });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    var items = e.dataTransfer.items;
    if (items && items.length && items[0].webkitGetAsEntry) {
      Array.prototype.forEach.call(items, function (it) { var en = it.webkitGetAsEntry(); if (en) walk(en, ""); });
    } else {
      Array.prototype.forEach.call(e.dataTransfer.files, function (f) { add(f, f.name); });
    }
  });
  function walk(entry, dir) {
    if (entry.isFile) { entry.file(function (f) { add(f, dir + f.name); }); return; }
    if (!entry.isDirectory) return;
    var reader = entry.createReader();
    (function more() {
      reader.readEntries(function (list) {
        if (!list.length) return;
        list.forEach(function (en) { walk(en, dir + entry.name + "/"); });
        more();
      });
    })();
  }
})();
