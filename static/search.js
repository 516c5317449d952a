/* Mirror search: runs in the browser over the static index that mirror_site/search.py writes.
   A query fetches the manifest once, then only the term shards its words fall in and the record
   chunks of the results it shows. The tokeniser must stay identical to `tokens` in search.py. */
(function () {
  "use strict";

  var PAGE = 10; // results shown at once, and added by "Show more results"
  var PREFIX_FACTOR = 0.5; // a word matched as a prefix ("circuit" in "circuits") counts half an exact match
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];

  var form = document.querySelector("form[data-manifest]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var manifestUrl = new URL(form.getAttribute("data-manifest"), document.baseURI).href;

  var files = new Map(); // URL → promise of its JSON: each file is fetched at most once per page
  function load(url) {
    if (!files.has(url)) {
      files.set(url, fetch(url).then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + url);
        return response.json();
      }).catch(function (error) { files.delete(url); throw error; }));
    }
    return files.get(url);
  }
  function manifest() { return load(manifestUrl); }
  function fileUrl(m, name) { return new URL(m.dir + name, manifestUrl).href; }

  // As search.py: lowercase, NFKD, drop marks, runs of letters and digits, no short or stop words.
  function tokenize(text, m) {
    var stop = new Set(m.stopwords);
    var found = text.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "").match(/[\p{L}\p{N}]+/gu) || [];
    return found.filter(function (t) { return Array.from(t).length >= m.min_length && !stop.has(t); });
  }

  // Index of the last shard whose first term is <= term (shards cover sorted, consecutive ranges).
  function shardOf(m, term) {
    var low = 0, high = m.terms.length - 1;
    while (low < high) {
      var mid = (low + high + 1) >> 1;
      if (m.terms[mid] <= term) low = mid; else high = mid - 1;
    }
    return low;
  }

  function shardsFor(m, word) {
    var first = shardOf(m, word);
    var last = first;
    if (Array.from(word).length >= m.prefix_min) {
      last = Math.min(shardOf(m, word + "\uffff"), first + m.prefix_shards - 1);
    }
    var urls = [];
    for (var i = first; i <= last && i < m.terms.length; i++) urls.push(fileUrl(m, "t-" + i + ".json"));
    return urls;
  }

  // doc → best score of one query word over its matching terms (exact, or prefix when long enough).
  function scoresOf(m, word, shards) {
    var exact = new Map(), prefix = new Map();
    var prefixes = Array.from(word).length >= m.prefix_min;
    var low = (1 << m.mask_bits) - 1;
    shards.forEach(function (shard) {
      Object.keys(shard).forEach(function (term) {
        var isExact = term === word;
        if (!isExact && !(prefixes && term.startsWith(word))) return;
        var target = isExact ? exact : prefix;
        var doc = 0;
        shard[term].forEach(function (value) {
          doc += Math.floor(value / (low + 1));
          var mask = value % (low + 1), weight = 0; // arithmetic, not bitwise: no 32-bit limit
          for (var bit = 0; bit < m.weights.length; bit++) if (mask & (1 << bit)) weight += m.weights[bit];
          if (weight > (target.get(doc) || 0)) target.set(doc, weight);
        });
      });
    });
    // The word's rarity (over every paper it matches) scales its weight, so exact always beats prefix.
    var matched = new Map(prefix);
    prefix.forEach(function (weight, doc) { matched.set(doc, weight * PREFIX_FACTOR); });
    exact.forEach(function (weight, doc) { matched.set(doc, Math.max(weight, matched.get(doc) || 0)); });
    var rarity = Math.log(1 + m.papers / Math.max(1, matched.size));
    matched.forEach(function (weight, doc) { matched.set(doc, weight * rarity); });
    return matched;
  }

  // Every word must match (AND); ties go to the lower doc id, which is the newer paper.
  function rank(m, words, shardsPerWord) {
    var total = null;
    words.forEach(function (word, i) {
      var scores = scoresOf(m, word, shardsPerWord[i]);
      if (total === null) { total = scores; return; }
      var next = new Map();
      total.forEach(function (score, doc) { if (scores.has(doc)) next.set(doc, score + scores.get(doc)); });
      total = next;
    });
    return Array.from(total || new Map()).sort(function (a, b) { return b[1] - a[1] || a[0] - b[0]; })
      .map(function (pair) { return pair[0]; });
  }

  function displayDate(iso) {
    var parts = iso.split("-");
    return Number(parts[2]) + " " + MONTHS[Number(parts[1]) - 1] + " " + parts[0];
  }

  function escapeRegExp(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  // Text with the query's words marked, built as DOM nodes (never parsed as HTML).
  function marked(text, pattern) {
    var fragment = document.createDocumentFragment();
    var at = 0;
    text.replace(pattern, function (match, offset) {
      fragment.append(text.slice(at, offset));
      var mark = document.createElement("mark");
      mark.textContent = match;
      fragment.append(mark);
      at = offset + match.length;
      return match;
    });
    fragment.append(text.slice(at));
    return fragment;
  }

  // About 200 characters of the abstract around the first word of the query found in it.
  function snippet(text, pattern) {
    if (text.length <= 220) return text;
    pattern.lastIndex = 0;
    var found = pattern.exec(text);
    var start = found ? Math.max(0, found.index - 60) : 0;
    if (start > 0) start = text.indexOf(" ", start) + 1 || start;
    var end = Math.min(text.length, start + 200);
    if (end < text.length) end = text.lastIndexOf(" ", end) > start ? text.lastIndexOf(" ", end) : end;
    return (start > 0 ? "… " : "") + text.slice(start, end) + (end < text.length ? " …" : "");
  }

  function item(m, record, pattern) {
    var fields = {};
    m.columns.forEach(function (name, i) { fields[name] = record[i]; });
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.className = "paper-link";
    link.href = fields.url;
    link.append(marked(fields.title, pattern));
    var meta = document.createElement("span");
    meta.className = "paper-meta";
    var time = document.createElement("time");
    time.dateTime = fields.date;
    time.textContent = displayDate(fields.date);
    meta.append(fields.authors.join(", ") + " · ", time);
    if (fields.finding) meta.append(" · " + fields.finding.replace(/-/g, " "));
    if (fields.status && fields.status !== "published") meta.append(" · " + fields.status);
    li.append(link, meta);
    if (fields.abstract) {
      var p = document.createElement("p");
      p.className = "search-snippet";
      p.append(marked(snippet(fields.abstract, pattern), pattern));
      li.append(p);
    }
    return li;
  }

  var current = 0; // the latest query: answers to older ones arrive late and are dropped
  var shown = { docs: [], count: 0, words: [] };

  function records(m, docs) {
    var chunks = Array.from(new Set(docs.map(function (doc) { return Math.floor(doc / m.docs_per_chunk); })));
    return Promise.all(chunks.map(function (c) { return load(fileUrl(m, "d-" + c + ".json")); })).then(function (loaded) {
      var byChunk = new Map();
      chunks.forEach(function (c, i) { byChunk.set(c, loaded[i]); });
      return docs.map(function (doc) { return byChunk.get(Math.floor(doc / m.docs_per_chunk))[doc % m.docs_per_chunk]; });
    });
  }

  // Appends the next PAGE results; `focus` moves keyboard focus to the first of them ("Show more").
  function showMore(m, query, focus) {
    var docs = shown.docs.slice(shown.count, shown.count + PAGE);
    shown.count += docs.length; // at once, so that a second click never shows the same page twice
    more.hidden = true;
    var pattern = new RegExp("(?<![\\p{L}\\p{N}])(?:" + shown.words.map(escapeRegExp).join("|") + ")", "giu");
    return records(m, docs).then(function (found) {
      if (query !== current) return;
      var items = found.map(function (record) { return item(m, record, pattern); });
      items.forEach(function (li) { list.append(li); });
      more.hidden = shown.count >= shown.docs.length;
      if (focus && items.length) items[0].querySelector("a").focus();
    });
  }

  function say(text) { status.textContent = text; }

  function search(text) {
    var query = ++current;
    text = text.trim();
    if (!text) { list.replaceChildren(); more.hidden = true; say(""); return Promise.resolve(); }
    return manifest().then(function (m) {
      var words = Array.from(new Set(tokenize(text, m)));
      if (!words.length) {
        list.replaceChildren(); more.hidden = true;
        say("Type a word of " + m.min_length + " or more letters; very common words such as “the” are not indexed.");
        return;
      }
      var perWord = words.map(function (word) { return shardsFor(m, word); });
      return Promise.all(perWord.map(function (urls) { return Promise.all(urls.map(load)); })).then(function (shards) {
        if (query !== current) return;
        var docs = rank(m, words, shards);
        shown = { docs: docs, count: 0, words: words };
        list.replaceChildren();
        more.hidden = true;
        var n = docs.length;
        say(n === 0 ? "No paper matches “" + text + "”." : (n === 1 ? "1 paper matches" : n + " papers match") + " “" + text + "”.");
        return showMore(m, query, false);
      });
    }).catch(function (error) {
      if (query === current) say("Search could not load its index (" + error.message + "). Please try again later.");
    });
  }

  var timer = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { search(input.value); }, 150);
  });
  input.addEventListener("focus", function () { manifest().catch(function () {}); }, { once: true });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    window.history.replaceState(null, "", url.href);
    search(input.value);
  });
  more.addEventListener("click", function () {
    manifest().then(function (m) { return showMore(m, current, true); }).catch(function () {});
  });

  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { input.value = initial; search(initial); }

  // For tests and curious readers: the tokeniser as this page runs it.
  window.mirrorSearch = { tokenize: function (text) { return manifest().then(function (m) { return tokenize(text, m); }); } };
})();
