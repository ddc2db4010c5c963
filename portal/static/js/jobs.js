// Job page: poll the JSON status every 2 s until the job is done or failed (no library, no CDN).
(function () {
  var box = document.querySelector(".portal-job");
  if (!box || box.getAttribute("data-finished") === "true") return;
  var url = box.getAttribute("data-status-url");
  function show(sel, on) { var el = box.querySelector(sel); if (on) el.removeAttribute("hidden"); else el.setAttribute("hidden", ""); return el; }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(poll, 5000); return; }
        box.querySelector(".job-status").textContent = s.status_label;
        box.querySelector(".job-count").textContent = s.done + " / " + s.total;
        var bar = box.querySelector(".job-bar");
        bar.style.width = s.percent + "%"; bar.textContent = s.percent + "%"; bar.setAttribute("aria-valuenow", s.percent);
        show(".job-error", !!s.error).textContent = s.error || "";
        if (s.download) { show(".job-download", true).querySelector("a").setAttribute("href", s.download); }
        if (s.finished) { show(".job-wait", false); return; }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
