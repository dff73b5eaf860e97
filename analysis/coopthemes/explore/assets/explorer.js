/* coopthemes explorer: reads the JSON embedded in the page and draws every
   view with DOM and SVG elements. Data are untrusted text: they reach the
   page through textContent and setAttribute only, never as HTML. */
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('explorer-data').textContent);
  var SVG = 'http://www.w3.org/2000/svg';
  var LANGUAGE_NAMES = {vi: 'Vietnamese', fr: 'French', en: 'English'};
  var PAGE = 50;

  var P = D.passages;
  var T = D.themes;
  var DOCS = D.documents;
  var groupColumn = D.group_column || 'partner';
  var hasGroup = Array.isArray(DOCS.group);

  var state = {
    theme: null, sortKey: 'size', sortDir: -1, limit: PAGE, unit: null, tab: 'passages',
    filters: {query: '', scope: 'theme', partner: '', group: '', year: '', language: '', order: 'strength'}
  };

  /* ---------- small DOM helpers ---------- */

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') node.textContent = String(v);
      else node.setAttribute(k, v === true ? '' : String(v));
    });
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function svgTitle(text) { return svg('title', {text: text}); }

  /* ---------- formatting ---------- */

  function pct(x, digits) {
    if (x === null || x === undefined) return '–';
    return (100 * x).toFixed(digits === undefined ? 1 : digits) + '%';
  }

  /* A share of a language mix: whole percent, "<1%" for a share that rounds to nothing. */
  function mixPct(x) {
    return x > 0 && x < 0.005 ? '<1%' : pct(x, 0);
  }

  function num(x) {
    if (x === null || x === undefined) return '–';
    if (typeof x === 'number') return Number.isInteger(x) ? x.toLocaleString('en') : x.toFixed(3);
    return String(x);
  }

  /* Theme columns that are shares of 0..1 (as the report's tables, two decimals). */
  var SHARE_COLUMNS = {label_confidence: true, stability: true};

  function columnValue(column, x) {
    if (typeof x === 'number' && SHARE_COLUMNS.hasOwnProperty(column)) return x.toFixed(2);
    return num(x);
  }

  function languageName(code) {
    if (!code) return 'unknown language';
    return LANGUAGE_NAMES[code] ? LANGUAGE_NAMES[code] + ' (' + code + ')' : code;
  }

  /* The theme's label as the figures write it: " (unstable)" after a theme that few consensus fits repeat. */
  function markedLabel(t) { return t.label + (t.unstable ? ' (unstable)' : ''); }

  function unstableBadge(t) {
    if (!t.unstable) return null;
    var below = typeof D.min_stability === 'number' ? ' (stability below ' + num(D.min_stability) + ')' : '';
    return el('span', {'class': 'badge unstable', text: 'unstable',
      title: 'this theme reappears in too few of the consensus fits' + below + '; read it with care'});
  }

  function columnName(column) {
    return column === 'partner' ? 'partner' : String(column).replace(/_/g, ' ');
  }

  function capital(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

  function plural(n, one, many) { return num(n) + ' ' + (n === 1 ? one : many); }

  /* ---------- indices built once ---------- */

  var byTheme = T.map(function () { return []; });
  for (var i = 0; i < P.id.length; i++) byTheme[P.theme[i]].push(i);
  var representative = T.map(function (t) {
    var s = {};
    t.representative.forEach(function (p) { s[p] = true; });
    return s;
  });

  function strengthOrder(a, b) {
    var sa = P.strength[a], sb = P.strength[b];
    if (sa === sb) return a - b;
    if (sa === null) return 1;
    if (sb === null) return -1;
    return sb - sa;
  }

  /* ---------- header ---------- */

  function renderSummary() {
    var nDocs = DOCS.id.length;
    var langs = (D.languages || []).join(', ');
    var text = plural(nDocs, 'document', 'documents') + ' · ' + plural(P.id.length, 'assigned passage', 'assigned passages') +
      ' · ' + plural(T.filter(function (t) { return !t.outlier; }).length, 'theme', 'themes') +
      (langs ? ' · languages ' + langs : '') + ' · grouped by ' + columnName(groupColumn);
    $('summary').textContent = text;
    var edits = D.edits;
    if (edits && (!Array.isArray(edits) || edits.length)) {
      var n = Array.isArray(edits) ? edits.length : Object.keys(edits).length;
      var note = $('edits-note');
      note.textContent = plural(n, 'theme edit', 'theme edits') + ' applied to these results (see Provenance).';
      note.hidden = false;
    }
  }

  /* ---------- themes table ---------- */

  var THEME_COLUMNS = [{key: 'id', name: '#', numeric: true, sort: true},
    {key: 'label', name: 'Theme', sort: true}];
  (D.theme_columns || []).forEach(function (c) {
    THEME_COLUMNS.push({key: 'extra:' + c.column, name: c.name, numeric: true, sort: true});
  });
  THEME_COLUMNS.push({key: 'size', name: 'Passages', numeric: true, sort: true});
  THEME_COLUMNS.push({key: 'mix', name: 'Languages', sort: false});
  THEME_COLUMNS.push({key: 'terms', name: 'Top terms', sort: false});

  function themeValue(t, key) {
    if (key === 'label') return t.label.toLocaleLowerCase();
    if (key.indexOf('extra:') === 0) return t.extra[key.slice(6)];
    return t[key];
  }

  function compareValues(a, b) {
    if (a === b) return 0;
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return String(a).localeCompare(String(b));
  }

  function sortedThemes() {
    var order = T.map(function (_, k) { return k; });
    order.sort(function (a, b) {
      var va = themeValue(T[a], state.sortKey), vb = themeValue(T[b], state.sortKey);
      if (va === null || va === undefined || vb === null || vb === undefined) {
        var c = compareValues(va, vb);
        if (c) return c;
      } else {
        var d = state.sortDir * compareValues(va, vb);
        if (d) return d;
      }
      return T[a].id - T[b].id;
    });
    return order;
  }

  function renderThemeHead() {
    var row = clear($('themes-head'));
    THEME_COLUMNS.forEach(function (c) {
      var th = el('th', {scope: 'col', 'class': c.numeric ? 'num' : null});
      if (c.sort) {
        var sort = state.sortKey === c.key ? (state.sortDir > 0 ? 'ascending' : 'descending') : 'none';
        th.setAttribute('aria-sort', sort);
        var button = el('button', {type: 'button', text: c.name, title: 'Sort by ' + c.name});
        button.addEventListener('click', function () {
          if (state.sortKey === c.key) state.sortDir = -state.sortDir;
          else { state.sortKey = c.key; state.sortDir = (c.key === 'label' || c.key === 'id') ? 1 : -1; }
          renderThemeHead();
          renderThemeRows();
        });
        th.appendChild(button);
      } else {
        th.textContent = c.name;
      }
      row.appendChild(th);
    });
  }

  function mixBar(mix) {
    var keys = Object.keys(mix || {}).sort(function (a, b) { return mix[b] - mix[a] || (a < b ? -1 : 1); });
    var bar = el('span', {'class': 'mix', 'aria-hidden': 'true'});
    var colours = D.language_colors || {};
    var spare = ['#CC79A7', '#56B4E9', '#D55E00', '#999999'];
    keys.forEach(function (k, j) {
      bar.appendChild(el('span', {style: 'width:' + (100 * mix[k]).toFixed(1) + '%;background:' +
        (colours[k] || spare[j % spare.length])}));
    });
    var text = keys.map(function (k) { return k + ' ' + mixPct(mix[k]); }).join(' · ');
    return [el('span', {text: text || '–'}), keys.length ? bar : null];
  }

  function termLines(t, n) {
    var langs = Object.keys(t.terms).sort(function (a, b) {
      var ia = (D.languages || []).indexOf(a), ib = (D.languages || []).indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : 1);
    });
    return langs.map(function (lang) {
      var words = t.terms[lang].slice(0, n).map(function (w) { return w[0]; }).join(', ');
      return el('span', {'class': 'termline', lang: lang}, el('b', {text: lang}), words);
    });
  }

  function renderThemeRows() {
    var body = clear($('themes-body'));
    sortedThemes().forEach(function (k) {
      var t = T[k];
      var selected = k === state.theme;
      var tr = el('tr', {'data-theme': k, 'aria-selected': selected ? 'true' : 'false', tabindex: selected ? 0 : -1});
      THEME_COLUMNS.forEach(function (c) {
        var td = el('td', {'class': c.numeric ? 'num' : null});
        if (c.key === 'label') {
          td.appendChild(el('span', {'class': 'swatch', style: 'background:' + t.color, 'aria-hidden': 'true'}));
          td.appendChild(el('span', {'class': 'label', text: t.label}));
          append(td, unstableBadge(t));
          td.appendChild(el('span', {'class': 'sub', text: t.codebook_id ? 'codebook: ' + t.codebook_id :
            (t.outlier ? 'passages left outside every theme' : 'discovered')}));
        } else if (c.key === 'mix') {
          append(td, mixBar(t.language_mix));
        } else if (c.key === 'terms') {
          append(td, termLines(t, 3));
        } else if (c.key.indexOf('extra:') === 0) {
          td.textContent = columnValue(c.key.slice(6), themeValue(t, c.key));
        } else {
          td.textContent = num(themeValue(t, c.key));
        }
        tr.appendChild(td);
      });
      tr.addEventListener('click', function () { chooseTheme(k, true); });
      body.appendChild(tr);
    });
    if (state.theme === null && body.firstChild) body.firstChild.setAttribute('tabindex', '0');
  }

  function themeRows() { return Array.prototype.slice.call($('themes-body').rows); }

  function onThemeKey(event) {
    var rows = themeRows();
    var at = rows.indexOf(document.activeElement);
    if (at < 0) return;
    var to = null;
    switch (event.key) {
      case 'ArrowDown': to = Math.min(rows.length - 1, at + 1); break;
      case 'ArrowUp': to = Math.max(0, at - 1); break;
      case 'PageDown': to = Math.min(rows.length - 1, at + 10); break;
      case 'PageUp': to = Math.max(0, at - 10); break;
      case 'Home': to = 0; break;
      case 'End': to = rows.length - 1; break;
      case 'Enter': case ' ':
        event.preventDefault();
        chooseTheme(Number(rows[at].getAttribute('data-theme')), true);
        return;
      default: return;
    }
    event.preventDefault();
    rows.forEach(function (r, j) { r.setAttribute('tabindex', j === to ? '0' : '-1'); });
    rows[to].focus();
  }

  function chooseTheme(k, keepFocus) {
    state.theme = k;
    state.limit = PAGE;
    themeRows().forEach(function (r) {
      var on = Number(r.getAttribute('data-theme')) === k;
      r.setAttribute('aria-selected', on ? 'true' : 'false');
      r.setAttribute('tabindex', on ? '0' : '-1');
      if (on && keepFocus) r.focus();
    });
    renderDetail();
  }

  /* ---------- theme detail ---------- */

  function renderDetail() {
    var t = T[state.theme];
    $('theme-title').textContent = t.label;
    var facts = clear($('theme-facts'));
    function fact(name, value) { facts.appendChild(el('span', null, name + ' ', el('b', {text: value}))); }
    fact('id', String(t.id));
    fact('codebook', t.codebook_id || (t.outlier ? 'outliers' : 'discovered'));
    fact('passages', num(t.size));
    (D.theme_columns || []).forEach(function (c) {
      var value = t.extra[c.column];
      if (value !== null && value !== undefined) fact(c.name, columnValue(c.column, value));
    });
    append(facts, unstableBadge(t));
    var mix = t.language_mix || {};
    fact('languages', Object.keys(mix).sort().map(function (k) { return k + ' ' + mixPct(mix[k]); }).join(', ') || '–');
    var terms = clear($('theme-terms'));
    Object.keys(t.terms).sort(function (a, b) {
      var ia = (D.languages || []).indexOf(a), ib = (D.languages || []).indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : 1);
    }).forEach(function (lang) {
      var list = el('ol', {lang: lang});
      t.terms[lang].forEach(function (w) {
        list.appendChild(el('li', {text: w[0], title: 'weight ' + num(w[1])}));
      });
      terms.appendChild(el('div', null, el('h3', {text: 'Top terms, ' + languageName(lang)}), list));
    });
    renderPassages();
    if (state.tab === 'prevalence') renderPrevalence();
    if (state.tab === 'map') renderMap();
  }

  /* ---------- passages ---------- */

  var lowerCache = [], foldCache = [], nfcCache = [], foldChars = {};

  /* Passage text in composed form (NFC), so that searching and highlighting agree with what is shown. */
  function textOf(p) {
    if (nfcCache[p] === undefined) nfcCache[p] = P.text[p].normalize('NFC');
    return nfcCache[p];
  }

  function foldChar(ch) {
    var hit = foldChars[ch];
    if (hit !== undefined) return hit;
    var low = ch.toLowerCase();
    if (low.length !== 1) low = ch;
    var base = low.normalize('NFD').charAt(0);
    if (low === 'đ') base = 'd';
    if (base.length !== 1) base = low;
    foldChars[ch] = base;
    return base;
  }

  /* Lower case, one UTF-16 unit for one: positions in it are positions in the text. */
  function lowerOf(text) {
    var low = text.toLowerCase();
    if (low.length === text.length) return low;
    var out = '';
    for (var j = 0; j < text.length; j++) {
      var ch = text.charAt(j), l = ch.toLowerCase();
      out += l.length === 1 ? l : ch;
    }
    return out;
  }

  /* Lower case without diacritics ("Công an" -> "cong an"), also one unit for one. */
  function foldOf(text) {
    return lowerOf(text).replace(/[^\x00-\x7f]/g, foldChar);
  }

  /* Returns the searchable form of passage p for a query, and the query in that form.
     A query without diacritics matches with or without them ("cong an" finds "công an"). */
  function searchForm(query) {
    var q = query.normalize('NFC');
    var folded = foldOf(q);
    var accentFree = folded === lowerOf(q);
    return {
      needle: accentFree ? folded : lowerOf(q),
      text: function (p) {
        if (accentFree) {
          if (foldCache[p] === undefined) foldCache[p] = foldOf(textOf(p));
          return foldCache[p];
        }
        if (lowerCache[p] === undefined) lowerCache[p] = lowerOf(textOf(p));
        return lowerCache[p];
      }
    };
  }

  function passageMatches(p, f, form) {
    if (f.language && (P.language[p] === null ? 'null' : P.language[p]) !== f.language) return false;
    if (f.year && (P.year[p] === null ? 'null' : String(P.year[p])) !== f.year) return false;
    if (f.partner) {
      var ps = P.partners[p];
      if (f.partner === '(none)' ? ps.length > 0 : ps.indexOf(Number(f.partner)) < 0) return false;
    }
    if (f.group && hasGroup) {
      var g = P.doc[p] >= 0 ? DOCS.group[P.doc[p]] : null;
      if (String(g === null ? '(none)' : g) !== f.group) return false;
    }
    if (form && form.text(p).indexOf(form.needle) < 0) return false;
    return true;
  }

  function matchingPassages() {
    var f = state.filters;
    var pool;
    if (f.scope === 'all' && f.query) {
      pool = [];
      for (var p = 0; p < P.id.length; p++) pool.push(p);
    } else {
      pool = byTheme[state.theme].slice();
    }
    var form = f.query ? searchForm(f.query) : null;
    var hits = pool.filter(function (p) { return passageMatches(p, f, form); });
    if (f.order === 'document') hits.sort(function (a, b) { return a - b; });
    else hits.sort(strengthOrder);
    return {hits: hits, pool: pool.length, form: form};
  }

  function highlight(text, searchable, needle) {
    var node = el('p', null);
    if (!needle) { node.textContent = text; return node; }
    var from = 0, at = searchable.indexOf(needle, from);
    while (at >= 0) {
      if (at > from) node.appendChild(document.createTextNode(text.slice(from, at)));
      node.appendChild(el('mark', {text: text.slice(at, at + needle.length)}));
      from = at + needle.length;
      at = searchable.indexOf(needle, from);
    }
    if (from < text.length) node.appendChild(document.createTextNode(text.slice(from)));
    return node;
  }

  function passageItem(p, form, showTheme) {
    var d = P.doc[p];
    var title = d >= 0 ? (DOCS.title[d] || DOCS.id[d]) : '(unknown document)';
    var partners = P.partners[p].map(function (j) { return D.partners[j]; });
    var theme = T[P.theme[p]];
    var strength = P.strength[p];
    var meta = el('div', {'class': 'meta'},
      el('span', {'class': 'doc', text: title}),
      el('span', {text: partners.length ? partners.join(', ') : 'no partner'}),
      hasGroup && d >= 0 && groupColumn !== 'partner' ?
        el('span', {text: columnName(groupColumn) + ': ' + (DOCS.group[d] === null ? '–' : DOCS.group[d])}) : null,
      el('span', {text: P.year[p] === null ? 'no year' : String(P.year[p])}),
      el('span', {text: languageName(P.language[p])}),
      el('span', {title: 'assignment strength (probability) ' + (strength === null ? 'unknown' : (strength / 1000).toFixed(3))},
        el('span', {'class': 'meter', 'aria-hidden': 'true'},
          el('span', {style: 'width:' + (strength === null ? 0 : Math.min(100, strength / 10)).toFixed(1) + '%'})),
        'strength ' + (strength === null ? '–' : (strength / 1000).toFixed(2))),
      representative[P.theme[p]][p] ? el('span', {'class': 'badge', text: 'representative'}) : null,
      P.outlier[p] ? el('span', {'class': 'badge', text: 'reassigned outlier',
        title: 'left outside every theme by the clustering, then assigned to the nearest one'}) : null,
      showTheme ? el('span', {'class': 'badge', text: markedLabel(theme), style: 'border-color:' + theme.color}) : null,
      (P.discusses ? P.discusses[p] : []).map(function (k) {
        return el('span', {'class': 'badge discusses', text: 'also: ' + T[k].label, style: 'border-color:' + T[k].color,
          title: 'the passage also discusses this codebook theme (keyword evidence)'});
      }));
    var text = textOf(p);
    var body = form ? highlight(text, form.text(p), form.needle) : highlight(text, '', '');
    body.setAttribute('lang', P.language[p] || '');
    var evidence = P.evidence ? P.evidence[p] : null;
    var foot = el('div', {'class': 'meta'}, el('span', {'class': 'code', text: P.id[p]}),
      evidence ? el('span', {'class': 'evidence', text: 'codebook evidence: ' + evidence}) : null);
    return el('li', {'class': 'passage', style: 'border-left-color:' + theme.color}, meta, body, foot);
  }

  function renderPassages() {
    var result = matchingPassages();
    var list = clear($('passage-list'));
    var f = state.filters;
    var shown = result.hits.slice(0, state.limit);
    var showTheme = f.scope === 'all' && !!f.query;
    shown.forEach(function (p) { list.appendChild(passageItem(p, result.form, showTheme)); });
    var where = showTheme ? 'in all themes' : 'in this theme';
    var status = result.hits.length === result.pool ?
      plural(result.pool, 'passage', 'passages') + ' ' + where :
      plural(result.hits.length, 'passage matches', 'passages match') + ' (of ' + num(result.pool) + ' ' + where + ')';
    if (shown.length < result.hits.length) status += '; showing the first ' + num(shown.length);
    $('passage-status').textContent = status + '.';
    var more = $('more');
    more.hidden = shown.length >= result.hits.length;
    more.textContent = 'Show ' + num(Math.min(PAGE, result.hits.length - shown.length)) + ' more';
  }

  function options(select, entries) {
    clear(select);
    entries.forEach(function (e) { select.appendChild(el('option', {value: e[0], text: e[1]})); });
  }

  function distinct(values) {
    var seen = {}, out = [];
    values.forEach(function (v) {
      var key = v === null || v === undefined ? '(none)' : String(v);
      if (!seen[key]) { seen[key] = true; out.push(key); }
    });
    return out.sort(function (a, b) {
      if (a === '(none)') return 1;
      if (b === '(none)') return -1;
      return a.localeCompare(b, undefined, {numeric: true});
    });
  }

  function setUpFilters() {
    var partnerEntries = [['', 'all']].concat(D.partners.map(function (name, j) { return [String(j), name]; }));
    var anyNone = P.partners.some(function (ps) { return ps.length === 0; });
    if (anyNone) partnerEntries.push(['(none)', 'no partner']);
    options($('f-partner'), partnerEntries);
    if (!D.partners.length) $('f-partner').disabled = true;
    options($('f-year'), [['', 'all']].concat(distinct(P.year).map(function (y) {
      return [y === '(none)' ? 'null' : y, y === '(none)' ? 'no year' : y];
    })));
    options($('f-language'), [['', 'all']].concat(distinct(P.language).map(function (l) {
      return [l === '(none)' ? 'null' : l, l === '(none)' ? 'unknown' : languageName(l)];
    })));
    if (hasGroup && groupColumn !== 'partner') {
      $('f-group-label').hidden = false;
      $('f-group-name').textContent = capital(columnName(groupColumn));
      options($('f-group'), [['', 'all']].concat(distinct(DOCS.group).map(function (g) {
        return [g, g === '(none)' ? 'none' : g];
      })));
    }
    var update = function () {
      var f = state.filters;
      f.query = $('f-query').value.trim();
      f.scope = $('f-scope').value;
      f.partner = $('f-partner').value;
      f.group = $('f-group').value;
      f.year = $('f-year').value;
      f.language = $('f-language').value;
      f.order = $('f-order').value;
      state.limit = PAGE;
      renderPassages();
    };
    ['f-scope', 'f-partner', 'f-group', 'f-year', 'f-language', 'f-order'].forEach(function (id) {
      $(id).addEventListener('change', update);
    });
    var timer = null;
    $('f-query').addEventListener('input', function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(update, 150);
    });
    $('filters').addEventListener('submit', function (event) { event.preventDefault(); update(); });
    $('f-reset').addEventListener('click', function () {
      $('f-query').value = '';
      ['f-scope', 'f-partner', 'f-group', 'f-year', 'f-language', 'f-order'].forEach(function (id) {
        $(id).selectedIndex = 0;
      });
      update();
    });
    $('more').addEventListener('click', function () { state.limit += PAGE; renderPassages(); });
  }

  /* ---------- prevalence charts ---------- */

  function blocksFor(unit) {
    return (D.prevalence || []).filter(function (b) { return b.unit === unit; }).sort(function (a, b) {
      return a.columns.length - b.columns.length || rank(a) - rank(b) || (a.breakdown < b.breakdown ? -1 : 1);
    });
    function rank(b) { return b.columns[0] === 'year' ? 1 : 0; }
  }

  function rowsOf(block, theme) {
    var k = block.columns.length;
    return block.rows.filter(function (r) { return r[0] === theme; }).map(function (r) {
      var row = {groups: r.slice(1, 1 + k), n: r[1 + k], nGroup: r[2 + k], share: r[3 + k], lo: r[4 + k],
        hi: r[5 + k], small: !!r[6 + k], extra: {}};
      block.extra.forEach(function (name, j) { row.extra[name] = r[7 + k + j]; });
      return row;
    });
  }

  /* share_min and share_max: the lowest and highest share of the theme over the consensus fits. */
  function isFitsRange(name) { return name === 'share_min' || name === 'share_max'; }

  function fitsRange(row) {
    var lo = row.extra.share_min, hi = row.extra.share_max;
    if (lo === null || lo === undefined || hi === null || hi === undefined) return null;
    return pct(lo) + ' – ' + pct(hi);
  }

  function groupText(v) { return v === null || v === undefined ? 'none' : String(v); }

  function rowDescription(row, label, unitWord) {
    var text = label + ': ' + pct(row.share) + ' (' + num(row.n) + ' of ' + num(row.nGroup) + ' ' + unitWord + ')';
    if (row.lo !== null && row.hi !== null) text += ', interval ' + pct(row.lo) + ' to ' + pct(row.hi);
    var range = fitsRange(row);
    if (range) text += ', over the consensus fits ' + range.replace(' – ', ' to ');
    Object.keys(row.extra).forEach(function (name) {
      if (isFitsRange(name) || row.extra[name] === null) return;
      text += ', ' + name.replace(/_/g, ' ') + ' ' + num(row.extra[name]);
    });
    if (row.small) text += '; small group';
    return text;
  }

  function niceMax(rows) {
    var top = 0;
    rows.forEach(function (r) { top = Math.max(top, r.hi === null ? r.share || 0 : r.hi, r.share || 0); });
    var steps = [0.05, 0.1, 0.2, 0.25, 0.4, 0.5, 0.6, 0.8, 1];
    for (var j = 0; j < steps.length; j++) if (top <= steps[j] + 1e-9) return steps[j];
    return 1;
  }

  function ticks(max) {
    var step = max <= 0.1 ? 0.02 : max <= 0.25 ? 0.05 : max <= 0.5 ? 0.1 : 0.2;
    var out = [];
    for (var v = 0; v <= max + 1e-9; v += step) out.push(Math.round(v * 1000) / 1000);
    return out;
  }

  function marker(cx, cy, row, colour, r) {
    return svg('circle', {cx: cx.toFixed(1), cy: cy.toFixed(1), r: r || 4.5,
      fill: row.small ? '#fff' : colour, stroke: row.small ? '#333' : colour, 'stroke-width': row.small ? 1.5 : 1});
  }

  /* Horizontal dot-and-interval chart: one row per group. */
  function groupChart(rows, colour, unitWord, max) {
    var left = 170, right = 20, top = 8, rowH = 22, width = 640;
    var height = top + rows.length * rowH + 30;
    var x = function (v) { return left + (width - left - right) * (v / max); };
    var chart = svg('svg', {'class': 'chart', viewBox: '0 0 ' + width + ' ' + height, width: width, height: height,
      role: 'img'});
    ticks(max).forEach(function (v) {
      chart.appendChild(svg('line', {'class': 'grid', x1: x(v), x2: x(v), y1: top, y2: top + rows.length * rowH}));
      chart.appendChild(svg('text', {x: x(v), y: top + rows.length * rowH + 16, 'text-anchor': 'middle', text: pct(v, 0)}));
    });
    rows.forEach(function (row, j) {
      var y = top + j * rowH + rowH / 2;
      var label = row.label;
      var short = label.length > 24 ? label.slice(0, 23) + '…' : label;
      var g = svg('g', null, svgTitle(rowDescription(row, label, unitWord)));
      g.appendChild(svg('text', {x: left - 8, y: y + 4, 'text-anchor': 'end', 'class': row.small ? 'muted' : null,
        text: short + ' (' + num(row.nGroup) + ')' + (row.small ? ' *' : '')}));
      if (row.lo !== null && row.hi !== null) {
        g.appendChild(svg('line', {x1: x(row.lo), x2: x(row.hi), y1: y, y2: y, stroke: row.small ? '#777' : '#333',
          'stroke-width': 1.5, 'stroke-dasharray': row.small ? '3 2' : null}));
        [row.lo, row.hi].forEach(function (v) {
          g.appendChild(svg('line', {x1: x(v), x2: x(v), y1: y - 4, y2: y + 4, stroke: row.small ? '#777' : '#333',
            'stroke-width': 1.5}));
        });
      }
      if (row.share !== null) g.appendChild(marker(x(row.share), y, row, colour));
      chart.appendChild(g);
    });
    chart.appendChild(svg('line', {'class': 'axis', x1: left, x2: left, y1: top, y2: top + rows.length * rowH}));
    return chart;
  }

  /* Vertical chart over years: a dot and an interval per year. */
  function yearChart(rows, colour, unitWord, max, size) {
    size = size || {width: 640, height: 240};
    var left = 46, right = 12, top = 10, bottom = 28;
    var width = size.width, height = size.height;
    var years = rows.map(function (r) { return r.label; });
    var step = (width - left - right) / Math.max(1, years.length);
    var x = function (j) { return left + step * (j + 0.5); };
    var y = function (v) { return top + (height - top - bottom) * (1 - v / max); };
    var chart = svg('svg', {'class': 'chart', viewBox: '0 0 ' + width + ' ' + height, width: width, height: height,
      role: 'img'});
    ticks(max).forEach(function (v) {
      chart.appendChild(svg('line', {'class': 'grid', x1: left, x2: width - right, y1: y(v), y2: y(v)}));
      chart.appendChild(svg('text', {x: left - 6, y: y(v) + 4, 'text-anchor': 'end', text: pct(v, 0)}));
    });
    var every = Math.max(1, Math.ceil(years.length / Math.max(1, Math.floor((width - left - right) / 40))));
    var path = [];
    rows.forEach(function (row, j) {
      if (j % every === 0) {
        chart.appendChild(svg('text', {x: x(j), y: height - bottom + 16, 'text-anchor': 'middle',
          'class': row.small ? 'muted' : null, text: row.label + (row.small ? '*' : '')}));
      }
      if (row.share !== null) path.push((path.length ? 'L' : 'M') + x(j).toFixed(1) + ' ' + y(row.share).toFixed(1));
    });
    if (path.length > 1) {
      chart.appendChild(svg('path', {d: path.join(' '), fill: 'none', stroke: colour, 'stroke-width': 1.2,
        'stroke-opacity': 0.6}));
    }
    rows.forEach(function (row, j) {
      var g = svg('g', null, svgTitle(rowDescription(row, row.label, unitWord)));
      if (row.lo !== null && row.hi !== null) {
        var stroke = row.small ? '#777' : '#333';
        g.appendChild(svg('line', {x1: x(j), x2: x(j), y1: y(row.lo), y2: y(row.hi), stroke: stroke,
          'stroke-width': 1.5, 'stroke-dasharray': row.small ? '3 2' : null}));
        [row.lo, row.hi].forEach(function (v) {
          g.appendChild(svg('line', {x1: x(j) - 4, x2: x(j) + 4, y1: y(v), y2: y(v), stroke: stroke, 'stroke-width': 1.5}));
        });
      }
      if (row.share !== null) g.appendChild(marker(x(j), y(row.share), row, colour));
      chart.appendChild(g);
    });
    chart.appendChild(svg('line', {'class': 'axis', x1: left, x2: width - right, y1: y(0), y2: y(0)}));
    return chart;
  }

  function dataTable(rows, columns, unitWord) {
    var table = el('table', null);
    var head = el('tr', null);
    var withRange = rows.some(function (row) { return fitsRange(row) !== null; });
    columns.concat(['share', 'interval'], withRange ? ['range over fits'] : [],
      [unitWord + ' with theme', unitWord + ' in group', 'small group'])
      .forEach(function (c) { head.appendChild(el('th', {scope: 'col', text: capital(columnName(c))})); });
    table.appendChild(el('thead', null, head));
    var body = el('tbody', null);
    rows.forEach(function (row) {
      var tr = el('tr', null);
      row.groups.forEach(function (g) { tr.appendChild(el('td', {text: groupText(g)})); });
      tr.appendChild(el('td', {'class': 'num', text: pct(row.share)}));
      tr.appendChild(el('td', {'class': 'num', text: row.lo === null ? '–' : pct(row.lo) + ' – ' + pct(row.hi)}));
      if (withRange) tr.appendChild(el('td', {'class': 'num', text: fitsRange(row) || '–'}));
      tr.appendChild(el('td', {'class': 'num', text: num(row.n)}));
      tr.appendChild(el('td', {'class': 'num', text: num(row.nGroup)}));
      tr.appendChild(el('td', {text: row.small ? 'yes' : ''}));
      body.appendChild(tr);
    });
    table.appendChild(body);
    return el('details', null, el('summary', {text: 'Show as a table'}), table);
  }

  function sortGroups(rows, column) {
    return rows.slice().sort(function (a, b) {
      var va = a.groups[column], vb = b.groups[column];
      if (va === null) return 1;
      if (vb === null) return -1;
      if (typeof va === 'number' && typeof vb === 'number') return va - vb;
      return (b.nGroup - a.nGroup) || String(va).localeCompare(String(vb));
    });
  }

  var MAX_ROWS = 40, MAX_PANELS = 24;

  function oneColumnChart(block, rows, colour, unitWord) {
    var column = block.columns[0];
    rows = sortGroups(rows, 0).map(function (r) { r.label = groupText(r.groups[0]); return r; });
    var max = niceMax(rows);
    var wrap = el('div', null);
    var cut = rows.length > MAX_ROWS && column !== 'year';
    var drawn = cut ? rows.slice(0, MAX_ROWS) : rows;
    var chart = column === 'year' ? yearChart(drawn, colour, unitWord, max) : groupChart(drawn, colour, unitWord, max);
    chart.setAttribute('aria-label', 'Share of ' + unitWord + ' in the theme by ' + columnName(column) +
      ', with intervals; the table below lists the values');
    wrap.appendChild(chart);
    if (cut) wrap.appendChild(el('p', {'class': 'hint', text: 'The ' + MAX_ROWS + ' largest of ' + rows.length +
      ' groups are drawn; the table lists them all.'}));
    wrap.appendChild(dataTable(rows, block.columns, unitWord));
    return wrap;
  }

  function twoColumnChart(block, rows, colour, unitWord) {
    var yearAt = block.columns.indexOf('year');
    var panelAt = yearAt === 0 ? 1 : 0;
    var innerAt = 1 - panelAt;
    var panels = {}, totals = {}, keys = [];
    rows.forEach(function (r) {
      var key = groupText(r.groups[panelAt]);
      if (!panels[key]) { panels[key] = []; totals[key] = 0; keys.push(key); }
      panels[key].push(r);
      totals[key] += r.nGroup || 0;
    });
    keys.sort(function (a, b) { return totals[b] - totals[a] || a.localeCompare(b); });
    var max = niceMax(rows);
    var wrap = el('div', null);
    var grid = el('div', {'class': 'multiples'});
    keys.slice(0, MAX_PANELS).forEach(function (key) {
      var inner = sortGroups(panels[key], innerAt).map(function (r) { r.label = groupText(r.groups[innerAt]); return r; });
      var chart = block.columns[innerAt] === 'year' ?
        yearChart(inner, colour, unitWord, max, {width: 240, height: 150}) :
        groupChart(inner, colour, unitWord, max);
      chart.setAttribute('aria-label', 'Share of ' + unitWord + ' in the theme for ' + columnName(block.columns[panelAt]) +
        ' ' + key + ' by ' + columnName(block.columns[innerAt]));
      grid.appendChild(el('figure', null, el('figcaption', {text: key + ' (' + num(totals[key]) + ')'}), chart));
    });
    wrap.appendChild(grid);
    if (keys.length > MAX_PANELS) {
      wrap.appendChild(el('p', {'class': 'hint', text: 'The ' + MAX_PANELS + ' largest of ' + keys.length + ' ' +
        columnName(block.columns[panelAt]) + ' groups are drawn; the table lists them all.'}));
    }
    wrap.appendChild(dataTable(rows, block.columns, unitWord));
    return wrap;
  }

  function units() {
    var seen = {};
    (D.prevalence || []).forEach(function (b) { seen[b.unit] = true; });
    return ['document', 'passage'].filter(function (u) { return seen[u]; }).concat(
      Object.keys(seen).filter(function (u) { return u !== 'document' && u !== 'passage'; }).sort());
  }

  function setUpUnits() {
    var fieldset = $('unit-choice');
    var all = units();
    state.unit = all[0] || null;
    all.forEach(function (u) {
      var input = el('input', {type: 'radio', name: 'unit', value: u, checked: u === state.unit});
      input.addEventListener('change', function () { state.unit = u; renderPrevalence(); });
      fieldset.appendChild(el('label', null, input, ' ' + u + 's'));
    });
    if (!all.length) fieldset.hidden = true;
  }

  function renderPrevalence() {
    var box = clear($('prevalence'));
    var t = T[state.theme];
    var blocks = state.unit ? blocksFor(state.unit) : [];
    if (!blocks.length) {
      box.appendChild(el('p', {'class': 'note', text: 'These results hold no prevalence table (no partner, year or ' +
        'group was known for the documents, or prevalence was not computed).'}));
      return;
    }
    var unitWord = state.unit + 's';
    var small = D.min_group_size;
    box.appendChild(el('p', {'class': 'hint', text: 'Share of ' + unitWord + ' in each group that belong to “' + t.label +
      '”, with its interval (lines). Hollow dots, dashed intervals and * mark small groups' +
      (small ? ' (fewer than ' + small + ' documents)' : '') + ': read them with care. Group sizes in brackets.' +
      (blocks.some(function (b) { return b.extra.indexOf('share_min') >= 0; }) ?
        ' The tables also give the range of the share over the consensus fits.' : '')}));
    blocks.forEach(function (block) {
      var rows = rowsOf(block, state.theme);
      var title = 'By ' + block.columns.map(columnName).join(' × ');
      box.appendChild(el('h3', {text: title}));
      if (!rows.length) {
        box.appendChild(el('p', {'class': 'hint', text: 'No rows for this theme.'}));
        return;
      }
      box.appendChild(block.columns.length === 1 ? oneColumnChart(block, rows, t.color, unitWord) :
        twoColumnChart(block, rows, t.color, unitWord));
    });
  }

  /* ---------- theme map ---------- */

  function renderMap() {
    var box = clear($('map'));
    var M = D.map;
    if (!M.x.length) {
      box.appendChild(el('p', {'class': 'note', text: 'These results hold no theme map.'}));
      return;
    }
    var width = 640, height = 480, pad = 12;
    var sx = function (v) { return pad + (width - 2 * pad) * v / 1000; };
    var sy = function (v) { return height - pad - (height - 2 * pad) * v / 1000; };
    var chart = svg('svg', {'class': 'chart', viewBox: '0 0 ' + width + ' ' + height, width: width, height: height,
      role: 'img', 'aria-label': 'Theme map of ' + M.x.length + ' passages coloured by theme'});
    var back = svg('g', {'fill-opacity': state.theme === null ? 0.85 : 0.55});
    var front = svg('g', {stroke: '#000', 'stroke-width': 1});
    for (var j = 0; j < M.x.length; j++) {
      var k = M.theme[j];
      var chosen = k === state.theme;
      var dot = svg('circle', {cx: sx(M.x[j]).toFixed(1), cy: sy(M.y[j]).toFixed(1), r: chosen ? 4.5 : 3,
        fill: T[k].color, 'data-i': j});
      (chosen ? front : back).appendChild(dot);
    }
    chart.appendChild(back);
    chart.appendChild(front);
    chart.addEventListener('click', function (event) {
      var target = event.target;
      if (!target || target.tagName !== 'circle') return;
      var j = Number(target.getAttribute('data-i'));
      var p = M.passage[j];
      var out = clear($('map-passage'));
      out.appendChild(el('p', null, el('b', {text: markedLabel(T[M.theme[j]])})));
      if (p >= 0) out.appendChild(passageItem(p, null, true));
    });
    box.appendChild(el('div', {'class': 'map-wrap'}, chart));
    var legend = clear($('map-legend'));
    var present = {};
    M.theme.forEach(function (k) { present[k] = (present[k] || 0) + 1; });
    Object.keys(present).map(Number).sort(function (a, b) { return a - b; }).forEach(function (k) {
      var button = el('button', {type: 'button', 'aria-pressed': k === state.theme ? 'true' : 'false'},
        el('span', {'class': 'swatch', style: 'background:' + T[k].color, 'aria-hidden': 'true'}),
        markedLabel(T[k]) + ' (' + num(present[k]) + ')');
      button.addEventListener('click', function () { chooseTheme(k, false); });
      legend.appendChild(el('li', null, button));
    });
  }

  /* ---------- provenance ---------- */

  function keyValues(pairs) {
    var dl = el('dl', {'class': 'kv'});
    pairs.forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined || pair[1] === '') return;
      dl.appendChild(el('dt', {text: pair[0]}));
      dl.appendChild(el('dd', {'class': pair[2] ? 'code' : null, text: pair[1]}));
    });
    return dl;
  }

  function show(value) {
    if (value === null || value === undefined) return '';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }

  function editsView(edits) {
    if (Array.isArray(edits) && edits.every(function (e) { return e && typeof e === 'object' && !Array.isArray(e); })) {
      var keys = [];
      edits.forEach(function (e) { Object.keys(e).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); }); });
      var head = el('tr', null);
      keys.forEach(function (k) { head.appendChild(el('th', {scope: 'col', text: k})); });
      var body = el('tbody', null);
      edits.forEach(function (e) {
        var tr = el('tr', null);
        keys.forEach(function (k) { tr.appendChild(el('td', {text: show(e[k])})); });
        body.appendChild(tr);
      });
      return el('table', null, el('thead', null, head), body);
    }
    return el('pre', {text: JSON.stringify(edits, null, 2)});
  }

  function renderProvenance() {
    var box = clear($('provenance'));
    var V = D.provenance || {};
    if (V.manifest === 'missing') {
      box.appendChild(el('p', {'class': 'warn', text: 'No MANIFEST.json was found beside these results: package ' +
        'versions and the commit are not known. The run facts below come from run.json.'}));
    } else if (V.manifest === 'mismatch') {
      box.appendChild(el('p', {'class': 'warn', text: 'The MANIFEST.json found beside these results describes other ' +
        'results (its recorded input hashes differ): its versions and commit may not apply.'}));
    }
    var git = V.git || {};
    var embedder = V.embedder || {};
    box.appendChild(el('h3', {text: 'Run'}));
    box.appendChild(keyValues([
      ['corpus hash', V.corpus_hash, true],
      ['seed', show(V.seed)],
      ['embedder', [embedder.backend, embedder.model, embedder.version].filter(Boolean).join(' · ')],
      ['git commit', git.commit ? git.commit + (git.dirty ? ' (with uncommitted changes)' : '') : null, true],
      ['python', V.python],
      ['platform', V.platform]
    ]));
    var edits = D.edits;
    box.appendChild(el('h3', {text: 'Theme edits'}));
    if (edits && (!Array.isArray(edits) || edits.length)) box.appendChild(editsView(edits));
    else box.appendChild(el('p', {'class': 'hint', text: 'No theme edits are recorded for these results.'}));
    if (V.packages) {
      box.appendChild(el('h3', {text: 'Package versions'}));
      box.appendChild(keyValues(Object.keys(V.packages).sort().map(function (k) {
        return [k, V.packages[k] === null ? 'not installed' : V.packages[k]];
      })));
    }
    var facts = V.run || {};
    box.appendChild(el('h3', {text: 'Facts of the run (run.json)'}));
    box.appendChild(keyValues(Object.keys(facts).sort().map(function (k) { return [k.replace(/_/g, ' '), show(facts[k])]; })));
    box.appendChild(el('h3', {text: 'Configuration'}));
    box.appendChild(el('pre', {text: JSON.stringify(V.config || {}, null, 2)}));
  }

  /* ---------- tabs ---------- */

  var TABS = ['passages', 'prevalence', 'map', 'provenance'];

  function chooseTab(name, focus) {
    state.tab = name;
    TABS.forEach(function (t) {
      var tab = $('tab-' + t), on = t === name;
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
      tab.setAttribute('tabindex', on ? '0' : '-1');
      $('panel-' + t).hidden = !on;
      if (on && focus) tab.focus();
    });
    if (name === 'prevalence') renderPrevalence();
    if (name === 'map') renderMap();
  }

  function setUpTabs() {
    TABS.forEach(function (name, j) {
      var tab = $('tab-' + name);
      tab.addEventListener('click', function () { chooseTab(name, false); });
      tab.addEventListener('keydown', function (event) {
        var to = null;
        if (event.key === 'ArrowRight') to = (j + 1) % TABS.length;
        else if (event.key === 'ArrowLeft') to = (j + TABS.length - 1) % TABS.length;
        else if (event.key === 'Home') to = 0;
        else if (event.key === 'End') to = TABS.length - 1;
        if (to === null) return;
        event.preventDefault();
        chooseTab(TABS[to], true);
      });
    });
  }

  /* ---------- start ---------- */

  renderSummary();
  renderThemeHead();
  setUpFilters();
  setUpUnits();
  setUpTabs();
  renderProvenance();
  $('themes-body').addEventListener('keydown', onThemeKey);
  if (T.length) {
    chooseTheme(sortedThemes()[0], false);
  } else {
    $('theme-title').textContent = 'No themes in these results';
  }
  renderThemeRows();
  document.documentElement.setAttribute('data-ready-ms', String(Math.round(performance.now())));
  document.documentElement.setAttribute('data-ready', 'true');
}());
