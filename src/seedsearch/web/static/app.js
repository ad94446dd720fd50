// Search as you type over /api/search, with the same markup the server renders without JS.
// Everything from the index or the query is set as text; only `snippet`, which the server
// HTML-escapes before adding <mark>, is set as HTML.
(() => {
  "use strict";
  const PAGE_SIZE = 10;
  const DEBOUNCE_MS = 180;
  const form = document.querySelector("form.search");
  const input = document.getElementById("q");
  const results = document.getElementById("results");
  let timer = null;
  let controller = null;
  let typingEntry = false; // one history entry per burst of typing

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children) node.append(c);
    return node;
  };
  // Filters and sort kept in the URL beside q and page (the server renders the same links).
  const REFINE = ["since", "until", "source", "author", "type", "in", "sort"];
  const refineFrom = (search) => {
    const params = new URLSearchParams(search);
    const out = {};
    for (const k of REFINE) if (params.get(k)) out[k] = params.get(k);
    return out;
  };
  let refine = refineFrom(location.search);
  const filtered = () => REFINE.some((k) => k !== "sort" && refine[k]);
  const exportUrl = (q, format, typing) =>
    "/api/export?" + new URLSearchParams({ q, format, ...refine, ...(typing ? { prefix: "last" } : {}) });
  const pageUrl = (q, page, given = refine) =>
    "/?" + new URLSearchParams({ q, ...given, ...(page > 1 ? { page } : {}) });
  const docUrl = (id, q, n) =>
    `/doc/${encodeURIComponent(id)}?${new URLSearchParams(n === undefined ? { q } : { q, p: n })}` +
    (n === undefined ? "" : `#p${n}`);
  const isEditable = (node) =>
    node && (node.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName));

  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && !isEditable(document.activeElement) &&
        !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      input.focus();
      input.select();
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && results) {
      if (move(event.key === "ArrowDown" ? 1 : -1)) event.preventDefault();
    }
  });

  function move(step) {
    const links = [...results.querySelectorAll("a.hit")];
    if (!links.length) return false;
    const at = links.indexOf(document.activeElement);
    const next = at === -1 ? (step > 0 ? 0 : links.length - 1) : at + step;
    if (next < 0) {
      input.focus();
      return true;
    }
    const target = links[Math.min(next, links.length - 1)];
    target.focus();
    target.scrollIntoView({ block: "nearest" });
    return true;
  }

  if (!results) {
    morePassages(); // article pages: the shortcuts above, and the passages as one scrolls
    return;
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    // While typing, the last word is a prefix (sauveg → sauvegarde) and is not corrected.
    timer = setTimeout(() => run(input.value, 1, typingEntry ? "replace" : "push", true), DEBOUNCE_MS);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    run(input.value, 1, typingEntry ? "replace" : "push");
    typingEntry = false;
  });
  results.addEventListener("click", (event) => {
    const link = event.target.closest(".pager a, .corrected a, .suggestion a, .facets a");
    if (!link) return;
    event.preventDefault();
    const url = new URL(link.href);
    input.value = url.searchParams.get("q") || "";
    refine = refineFrom(url.search); // a facet adds its filter, an active one's link drops it
    typingEntry = false;
    run(input.value, Number(url.searchParams.get("page") || 1), "push");
    if (!link.closest(".facets")) input.scrollIntoView({ block: "nearest" });
  });
  results.addEventListener("change", (event) => {
    if (event.target.id !== "sort") return;
    refine = { ...refine, sort: event.target.value };
    if (refine.sort === "relevance") delete refine.sort;
    typingEntry = false;
    run(input.value, 1, "push");
  });
  results.addEventListener("submit", (event) => {
    event.preventDefault(); // the sort form: its select already ran the search
  });
  window.addEventListener("popstate", () => {
    const params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    refine = refineFrom(location.search);
    typingEntry = false;
    run(input.value, Number(params.get("page") || 1), "none");
  });

  async function run(q, page, history_mode, typing = false) {
    if (controller) controller.abort(); // a newer query makes the pending one stale
    const searching = q.trim() || filtered();
    const target = searching ? pageUrl(q, page) : "/";
    if (history_mode === "push" && location.pathname + location.search !== target) {
      history.pushState(null, "", target);
      typingEntry = true;
    } else if (history_mode === "replace") {
      history.replaceState(null, "", target);
    }
    document.title = q.trim() ? `${q} — seedsearch` : "seedsearch";
    for (const hidden of form.querySelectorAll("input[type=hidden]")) hidden.remove();
    for (const [k, v] of Object.entries(refine)) form.append(el("input", { type: "hidden", name: k, value: v }));
    if (!searching) {
      results.replaceChildren();
      return;
    }
    controller = new AbortController();
    const params = new URLSearchParams({
      q, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, explain: true, facets: true, ...refine,
    });
    if (typing) params.set("prefix", "last");
    try {
      const response = await fetch(`/api/search?${params}`, { signal: controller.signal });
      const data = await response.json();
      if (!response.ok) {
        showError(data.error ? data.error.message : `erreur ${response.status}`);
      } else {
        render(data, page, typing);
      }
    } catch (error) {
      if (error.name !== "AbortError") showError("Le serveur ne répond pas.");
    }
  }

  function showError(message) {
    results.replaceChildren(el("p", { class: "error", role: "alert" }, message));
  }

  const HOW = {
    exact: "exact", stem: "même radical", accents: "sans les accents",
    typo: "faute de frappe corrigée", fuzzy: "mot approché", prefix: "préfixe",
    family: "même famille", synonym: "synonyme",
  };

  // The "pourquoi ?" disclosure of one article, as the server renders it.
  function why(reasons) {
    if (!reasons || !reasons.length) return [];
    const list = el("ul", {});
    for (const r of reasons) {
      const fields = r.fields.map((f) => (f === "title" ? "titre" : "texte")).join(", ");
      const title = r.title_score ? ` ; titre +${r.title_score.toFixed(2)}` : "";
      list.append(el("li", {}, el("strong", {}, r.word), " → ", el("em", {}, r.found),
        ` (${HOW[r.how] || r.how} ; ${fields}${title})`));
    }
    return [el("details", { class: "why" }, el("summary", {}, "pourquoi ?"), list)];
  }

  function render(data, page, typing) {
    const out = [];
    const count = data.total
      ? `${data.total} résultat${data.total > 1 ? "s" : ""} `
      : "Aucun résultat ";
    const meta = el("p", { class: "meta" }, count,
      el("span", { class: "took" }, `(${data.took_ms.toFixed(1)} ms)`));
    if (data.total) {
      meta.append(" ", el("span", { class: "export" }, "Tout exporter : ",
        el("a", { href: exportUrl(data.query, "csv", typing), download: "" }, "CSV"), " · ",
        el("a", { href: exportUrl(data.query, "jsonl", typing), download: "" }, "JSON")));
    }
    out.push(meta);
    if (data.corrected_query) {
      out.push(el("p", { class: "corrected" }, "Résultats pour ",
        el("a", { href: pageUrl(data.corrected_query, 1) }, el("strong", {}, data.corrected_query))));
    }
    if (data.ignored.length) {
      const p = el("p", { class: "ignored" }, "Ignoré : ");
      data.ignored.forEach((word, i) => p.append(el("code", {}, word), i < data.ignored.length - 1 ? " " : ""));
      out.push(p);
    }
    if (data.also_searched && data.also_searched.length) {
      out.push(el("p", { class: "also" }, `Recherché aussi : ${data.also_searched.join(", ")}`));
    }
    if (data.suggestion) {
      out.push(el("p", { class: "suggestion" }, "Vouliez-vous dire ",
        el("a", { href: pageUrl(data.suggestion, 1) }, el("strong", {}, data.suggestion)), " ?"));
    }
    // Date · author · source, as the server-rendered page shows them.
    function byline(meta) {
      const known = meta ? [meta.date, meta.author, meta.source].filter(Boolean) : [];
      return known.length ? [el("p", { class: "byline" }, known.join(" · "))] : [];
    }
    const groups = new Map();
    for (const hit of data.hits) {
      if (!groups.has(hit.doc_id)) groups.set(hit.doc_id, []);
      groups.get(hit.doc_id).push(hit);
    }
    for (const [docId, hits] of groups) {
      const list = el("ul", { class: "hits" });
      for (const hit of hits) {
        const link = el("a", { class: "hit", href: docUrl(docId, data.query, hit.passage) });
        if (hit.section && hit.section !== hit.text) link.append(el("span", { class: "section" }, hit.section));
        const snippet = el("span", { class: "snippet" });
        snippet.innerHTML = hit.snippet; // escaped by the server, then marked
        link.append(snippet);
        list.append(el("li", {}, link));
      }
      const group = el("article", { class: "group" },
        el("h2", {}, el("span", { class: "rank" }, `${hits[0].rank}.`), " ",
          el("a", { href: docUrl(docId, data.query) }, hits[0].title)),
        ...byline(hits[0].meta),
        el("p", { class: "path" }, hits[0].path));
      if (hits[0].folded) {
        const n = hits[0].folded;
        const more = n > hits[0].also_in.length ? ` (+${n - hits[0].also_in.length})` : "";
        group.append(el("p", { class: "also-in" }, `aussi dans : ${hits[0].also_in.join(", ")}${more} `,
          el("span", { class: "folded" }, `(${n} doublon${n > 1 ? "s" : ""} replié${n > 1 ? "s" : ""})`)));
      }
      group.append(list, ...why(hits[0].why));
      out.push(group);
    }
    const pages = Math.min(Math.max(1, Math.ceil(data.total / PAGE_SIZE)), 1000);
    if (pages > 1) {
      const nav = el("nav", { class: "pager", "aria-label": "Pages de résultats" });
      if (page > 1) nav.append(el("a", { rel: "prev", href: pageUrl(data.query, page - 1) }, "← Précédents"));
      nav.append(el("span", {}, `Page ${page} / ${pages}`));
      if (page < pages) nav.append(el("a", { rel: "next", href: pageUrl(data.query, page + 1) }, "Suivants →"));
      out.push(nav);
    }
    results.replaceChildren(el("div", { class: "refine" }, panel(data), el("div", { class: "list" }, ...out)));
  }

  const SORTS = { relevance: "Pertinence", "-date": "Plus récents d’abord", date: "Plus anciens d’abord" };
  const FACETS = { source: "Source", year: "Année", type: "Type", author: "Auteur" };
  const LABELS = { since: "depuis", until: "jusqu’à", source: "source", author: "auteur", type: "type", in: "dossier" };

  // The side panel (above the results on a narrow screen), as results.html renders it:
  // the sort selector, the filters in force (each link drops one), and per facet its
  // values with their counts (each link adds that filter; the one in force drops it).
  function panel(data) {
    const q = data.query;
    const select = el("select", { id: "sort", name: "sort" });
    for (const [value, label] of Object.entries(SORTS)) {
      const option = el("option", { value }, label);
      if (value === data.sort) option.setAttribute("selected", "");
      select.append(option);
    }
    const sortForm = el("form", { class: "sort", action: "/", method: "get" },
      el("label", { for: "sort" }, "Trier"), " ", select);
    const aside = el("aside", { class: "facets", "aria-label": "Filtres" }, sortForm);
    const without = (keys) => Object.fromEntries(Object.entries(refine).filter(([k]) => !keys.includes(k)));
    const active = Object.entries(refine).filter(([k]) => k in LABELS);
    if (active.length) {
      const list = el("ul", { class: "active" });
      for (const [k, v] of active) {
        list.append(el("li", {}, el("a", { href: pageUrl(q, 1, without([k])), title: "Retirer ce filtre" },
          `${LABELS[k]} : ${v} `, el("span", { "aria-hidden": "true" }, "×"))));
      }
      aside.append(list);
    }
    for (const [name, values] of Object.entries(data.facets || {})) {
      if (!values.length) continue;
      const list = el("ul", {});
      for (const v of values) {
        const adds = name === "year" ? { since: v.value, until: v.value } : { [name]: v.value };
        const on = Object.entries(adds).every(([k, x]) => refine[k] === x);
        const href = pageUrl(q, 1, on ? without(Object.keys(adds)) : { ...refine, ...adds });
        const link = el("a", { href }, el("span", { class: "value" }, v.value), " ",
          el("span", { class: "count" }, String(v.count)));
        if (on) link.setAttribute("aria-current", "true");
        list.append(el("li", {}, link));
      }
      aside.append(el("section", { class: "facet", "data-facet": name }, el("h3", {}, FACETS[name]), list));
    }
    return aside;
  }

  // A long article's page holds a window of its passages; the next windows come from
  // /doc/{id}/passages as the reader nears the end (the links page without script).
  function morePassages() {
    const box = document.querySelector(".doc .passages");
    const next = document.querySelector('.doc a.more[rel="next"]');
    if (!box || !next || !("IntersectionObserver" in window)) return;
    let loading = false;
    const observer = new IntersectionObserver(async (entries) => {
      if (loading || !entries.some((e) => e.isIntersecting)) return;
      loading = true;
      const params = new URLSearchParams({ from: next.dataset.from });
      if (box.dataset.q) params.set("q", box.dataset.q);
      try {
        const response = await fetch(
          `/doc/${encodeURIComponent(box.dataset.doc)}/passages?${params}`);
        if (!response.ok) throw new Error(String(response.status));
        const html = await response.text(); // rendered and escaped by the server
        box.insertAdjacentHTML("beforeend", html);
        const from = Number(response.headers.get("X-Next-From"));
        if (from >= Number(response.headers.get("X-Passage-Count"))) {
          observer.disconnect();
          next.parentElement.remove();
        } else {
          next.dataset.from = String(from);
          const url = new URL(next.href);
          url.searchParams.set("from", String(from));
          next.href = url.pathname + url.search;
          observer.unobserve(next); // observed again: fires at once if still in view
          observer.observe(next);
        }
      } catch (error) {
        observer.disconnect(); // the link still pages
      }
      loading = false;
    }, { rootMargin: "800px" });
    observer.observe(next);
  }
})();
