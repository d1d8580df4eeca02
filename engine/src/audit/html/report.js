// annexa HTML report: per-system heatmap rows in pages, filters, the print
// view, and a self-test (open the page with #selftest). Plain JS, no network.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("data").textContent);
  var PAGE = 50;
  var page = 0;
  var byName = {};
  data.systems.forEach(function (s) { byName[s.n] = s; });
  var coveredIndex = {};
  data.covered.forEach(function (q, i) { coveredIndex[q] = i; });
  var STATUS = { I: "implemented", P: "partial", G: "gap", N: "not_assessed" };
  var LABEL = { implemented: "implemented", partial: "partial", gap: "gap", not_assessed: "not assessed", excluded: "excluded" };

  var fSystem = document.getElementById("f-system");
  var fDomain = document.getElementById("f-domain");
  var fStatus = document.getElementById("f-status");

  var list = document.getElementById("system-names");
  data.systems.slice(0, 2000).forEach(function (s) {
    var o = document.createElement("option");
    o.value = s.n;
    list.appendChild(o);
  });

  function esc(t) {
    return String(t).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function heatCell(system, domain, imp, ass) {
    var style = ass > 0 ? ' style="background:hsl(' + Math.floor(imp * 120 / ass) + ',70%,80%)"' : "";
    var text = ass > 0 ? imp + "/" + ass : "-";
    return '<td class="heat" data-system="' + esc(system) + '" data-domain="' + esc(domain) +
      '" data-implemented="' + imp + '" data-assessed="' + ass + '"' + style + ">" + text + "</td>";
  }

  function matchingSystems() {
    var q = fSystem.value.trim();
    if (!q) return data.systems;
    if (byName[q]) return [byName[q]];
    var lower = q.toLowerCase();
    return data.systems.filter(function (s) { return s.n.toLowerCase().indexOf(lower) >= 0; });
  }

  function drawHeatmap() {
    var systems = matchingSystems();
    var pages = Math.max(1, Math.ceil(systems.length / PAGE));
    if (page >= pages) page = pages - 1;
    var rows = systems.slice(page * PAGE, page * PAGE + PAGE).map(function (s) {
      var cells = data.domains.map(function (d, i) { return heatCell(s.n, d, s.h[i][0], s.h[i][1]); }).join("");
      return '<tr class="system" data-system="' + esc(s.n) + '"><th>' + esc(s.n) + "</th>" + cells + "</tr>";
    });
    document.getElementById("heat-rows").innerHTML = rows.join("");
    document.getElementById("heat-page").textContent =
      systems.length + " systems, page " + (page + 1) + " of " + pages;
    document.getElementById("heat-prev").disabled = page === 0;
    document.getElementById("heat-next").disabled = page + 1 >= pages;
  }

  // The status of a control row: overall, or on the chosen system.
  function rowStatus(tr, system) {
    var overall = tr.getAttribute("data-overall");
    if (!system || overall === "excluded") return overall;
    var i = coveredIndex[tr.getAttribute("data-control")];
    if (i === undefined) return "not_assessed";
    return STATUS[system.m.charAt(i)];
  }

  function applyFilters() {
    var system = byName[fSystem.value.trim()] || null;
    var domain = fDomain.value;
    var status = fStatus.value;
    document.querySelectorAll("table.controls tbody tr").forEach(function (tr) {
      var s = rowStatus(tr, system);
      var cell = tr.querySelector("td.status");
      tr.setAttribute("data-status", s);
      cell.className = "status " + s;
      cell.textContent = LABEL[s];
      tr.hidden = (domain && tr.getAttribute("data-domain") !== domain) || (status && s !== status);
    });
    document.querySelectorAll("table.progress tbody tr").forEach(function (tr) {
      tr.hidden = !!domain && tr.getAttribute("data-domain") !== domain;
    });
    page = 0;
    drawHeatmap();
  }

  function visible(selector) {
    return Array.prototype.filter.call(document.querySelectorAll(selector), function (el) {
      return !el.hidden;
    }).length;
  }

  fSystem.addEventListener("change", applyFilters);
  fSystem.addEventListener("input", applyFilters);
  fDomain.addEventListener("change", applyFilters);
  fStatus.addEventListener("change", applyFilters);
  document.getElementById("f-reset").addEventListener("click", function () {
    fSystem.value = ""; fDomain.value = ""; fStatus.value = "";
    applyFilters();
  });
  document.getElementById("heat-prev").addEventListener("click", function () { page -= 1; drawHeatmap(); });
  document.getElementById("heat-next").addEventListener("click", function () { page += 1; drawHeatmap(); });
  // On paper every evidence list is open.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });

  applyFilters();

  if (location.hash === "#selftest") {
    var result = {};
    var count = function () {
      return {
        controls: visible("table.controls tbody tr"),
        heatmap_rows: document.querySelectorAll("#heat-rows tr").length
      };
    };
    var set = function (system, domain, status) {
      fSystem.value = system; fDomain.value = domain; fStatus.value = status;
      applyFilters();
      return count();
    };
    result.all = set("", "", "");
    data.domains.forEach(function (d) { result["domain:" + d] = set("", "iso42001:" + d, ""); });
    ["implemented", "partial", "gap", "not_assessed", "excluded"].forEach(function (s) {
      result["status:" + s] = set("", "", s);
    });
    data.systems.slice(0, 20).forEach(function (s) {
      result["system:" + s.n] = set(s.n, "", "implemented");
    });
    set("", "", "");
    var out = document.getElementById("selftest-result");
    out.textContent = JSON.stringify(result);
    out.hidden = false;
  }
})();
