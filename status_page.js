// SPDX-License-Identifier: Apache-2.0
// status_page.js: the HTML status page's live part (README "Status page").
// Every second it fetches the JSON view of the same URL, writes its numbers
// into the cells that name a path into it (data-path), rebuilds the broker
// rows, and keeps the last five minutes of samples to draw the charts as
// SVG polylines. No library, no other file: the page's CSP allows only
// this script (by its nonce) and fetches to the page's own origin.
'use strict';
(function () {
  var PERIOD = 1000, WINDOW = 300, W = 300, H = 100;
  var SVG = 'http://www.w3.org/2000/svg';
  var url = location.pathname + '?format=json';
  var samples = [];

  // A path is a JSON array: keys, indexes, or {name: n} for the array
  // element of that name (a broker).
  function resolve(o, path) {
    for (var i = 0; i < path.length && o !== undefined && o !== null; i++) {
      var seg = path[i];
      if (seg !== null && typeof seg === 'object')
        o = (o || []).filter(function (e) { return e.name === seg.name; })[0];
      else
        o = o[seg];
    }
    return o;
  }

  function show(v) {
    if (v === undefined || v === null) return '-';
    if (typeof v === 'number' && !Number.isInteger(v)) return v.toFixed(3);
    return String(v);
  }

  function el(name, text) {
    var e = document.createElement(name);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function brokerRows(tbody, p, producer) {
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    (producer.brokers || []).forEach(function (b) {
      Object.keys(b.states).sort().forEach(function (state) {
        var tr = el('tr'), td = el('td', show(b.states[state]));
        td.className = 'num';
        td.setAttribute('data-path', JSON.stringify(
          ['producers', p, 'brokers', {name: b.name}, 'states', state]));
        tr.appendChild(el('td', b.name));
        tr.appendChild(el('td', state));
        tr.appendChild(td);
        tbody.appendChild(tr);
      });
    });
  }

  function sum(list, f) {
    return list.reduce(function (a, x) { return a + (f(x) || 0); }, 0);
  }

  function rejectedOf(p) {
    return sum(Object.keys(p.rejected), function (k) { return p.rejected[k]; });
  }

  // The counters of every producer summed, at time t (s).
  function sample(j, t) {
    var ps = j.producers, buckets = {};
    ps.forEach(function (p) {
      Object.keys(p.latency_ms.buckets).forEach(function (le) {
        buckets[le] = (buckets[le] || 0) + p.latency_ms.buckets[le];
      });
    });
    return {
      t: t, since: j.since, buckets: buckets,
      accepted: sum(ps, function (p) { return p.accepted; }),
      delivered: sum(ps, function (p) { return p.delivered; }),
      rejected: sum(ps, rejectedOf),
      queue: sum(ps, function (p) { return p.queue_depth; }),
      spool: j.spool ? j.spool.records_waiting : 0
    };
  }

  // The bound (ms) of the bucket holding quantile q of the deliveries
  // between two samples; null without any.
  function quantile(a, b, q) {
    var les = Object.keys(b.buckets).filter(function (le) { return le !== '+Inf'; })
      .map(Number).sort(function (x, y) { return x - y; });
    var total = b.buckets['+Inf'] - (a.buckets['+Inf'] || 0);
    if (!(total > 0)) return null;
    for (var i = 0; i < les.length; i++)
      if (b.buckets[les[i]] - (a.buckets[les[i]] || 0) >= q * total) return les[i];
    return 2 * les[les.length - 1];   // above the last bound: drawn at twice it
  }

  var charts = {
    requests: function (a, b, dt) { return [(b.accepted + b.rejected - a.accepted - a.rejected) / dt]; },
    delivered: function (a, b, dt) { return [(b.delivered - a.delivered) / dt]; },
    rejected: function (a, b, dt) { return [(b.rejected - a.rejected) / dt]; },
    latency: function (a, b) { return [quantile(a, b, 0.5), quantile(a, b, 0.99)]; },
    queue: function (a, b) { return [b.queue]; },
    spool: function (a, b) { return [b.spool]; }
  };
  var COLORS = ['#1f77b4', '#d62728'];

  function draw(name) {
    var svg = document.getElementById('chart-' + name), now = samples[samples.length - 1].t;
    // The time axis: the history kept, at least a minute, at most WINDOW.
    var span = Math.min(WINDOW, Math.max(60, now - samples[0].t));
    var lines = [], top = 1, i, k;
    if (!svg) return;
    for (i = 1; i < samples.length; i++) {
      var a = samples[i - 1], b = samples[i];
      var v = charts[name](a, b, b.t - a.t);
      for (k = 0; k < v.length; k++) {
        lines[k] = lines[k] || [];
        if (v[k] === null || !isFinite(v[k])) continue;
        lines[k].push([b.t, v[k]]);
        if (v[k] > top) top = v[k];
      }
    }
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    lines.forEach(function (pts, k) {
      var pl = document.createElementNS(SVG, 'polyline');
      pl.setAttribute('fill', 'none');
      pl.setAttribute('stroke', COLORS[k]);
      pl.setAttribute('stroke-width', '1.5');
      pl.setAttribute('points', pts.map(function (p) {
        return ((p[0] - now + span) / span * W).toFixed(1) + ',' +
          (H - 2 - p[1] / top * (H - 14)).toFixed(1);
      }).join(' '));
      svg.appendChild(pl);
    });
    var label = document.createElementNS(SVG, 'text'), last = lines.map(function (pts) {
      return pts.length ? show(Math.round(pts[pts.length - 1][1] * 10) / 10) : '-';
    });
    label.setAttribute('x', '3');
    label.setAttribute('y', '10');
    label.textContent = 'now ' + last.join(' / ') + ', top ' + show(Math.round(top * 10) / 10);
    svg.appendChild(label);
  }

  function update(j) {
    var t = Date.now() / 1000;
    document.querySelectorAll('[data-path]').forEach(function (cell) {
      cell.textContent = show(resolve(j, JSON.parse(cell.getAttribute('data-path'))));
    });
    document.querySelectorAll('tbody[data-brokers]').forEach(function (tbody) {
      var p = Number(tbody.getAttribute('data-brokers'));
      if (j.producers[p]) brokerRows(tbody, p, j.producers[p]);
    });
    var s = sample(j, t);
    if (samples.length && samples[samples.length - 1].since !== s.since)
      samples = [];                    // the server restarted: counters began again
    samples.push(s);
    while (samples.length && samples[0].t < t - WINDOW) samples.shift();
    if (samples.length > 1) Object.keys(charts).forEach(draw);
    document.getElementById('polled').textContent =
      'Live: the JSON view polled every second, last at ' + new Date().toLocaleTimeString() + '.';
  }

  function poll() {
    fetch(url, {cache: 'no-store', credentials: 'same-origin',
                headers: {Accept: 'application/json'}})
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(update)
      .catch(function (e) {
        document.getElementById('polled').textContent = 'Polling the JSON view failed: ' + e.message;
      })
      .then(function () { setTimeout(poll, PERIOD); });
  }
  poll();
})();
