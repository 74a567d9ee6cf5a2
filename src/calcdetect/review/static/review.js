// calcdetect review page: everything is drawn from /api/study; every change is POSTed at once
// and the server answers with the patient's saved state. No external resource, no innerHTML of data.
(function () {
  'use strict';
  var TOKEN = new URLSearchParams(location.search).get('token') || '';
  var study = null, states = {}, order = [], current = 0, selected = 0, addMode = null;
  var queue = Promise.resolve(), pending = 0, saves = 0;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'cls') e.className = attrs[k];
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function kbd(k) { return el('kbd', {text: k}); }
  function pct(v, of) { return (100 * v / of) + '%'; }

  function setStatus(text, error) {
    var s = $('status');
    s.textContent = text;
    s.classList.toggle('error', !!error);
    document.body.dataset.pending = String(pending);
  }

  function post(path, body) {
    pending += 1;
    setStatus('saving…');
    queue = queue.then(function () {
      return fetch(path, {method: 'POST', cache: 'no-store', body: JSON.stringify(body),
        headers: {'Content-Type': 'application/json', 'X-Review-Token': TOKEN}})
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || r.status); return j; }); })
        .then(function (state) {
          states[state.patient_key] = state;
          pending -= 1; saves += 1;
          document.body.dataset.saves = String(saves);  // for tests and scripts: answered saves so far
          setStatus('saved ' + new Date().toLocaleTimeString());
          refresh();
        })
        .catch(function (err) { pending -= 1; setStatus('NOT SAVED: ' + err.message, true); });
    });
    return queue;
  }

  function patient() { return study.patients[current]; }
  function state() { return states[patient().patient_key]; }
  function decisionOf(img, clusterId) {
    var found = state().decisions.filter(function (d) {
      return d.sop_instance_uid === img.sop_instance_uid && d.cluster_id === String(clusterId);
    });
    return found.length ? found[0].decision : null;
  }
  function addedOn(img) {
    return state().decisions.filter(function (d) { return d.sop_instance_uid === img.sop_instance_uid && d.decision === 'added'; });
  }
  // the reviewable things of the current patient, in page order
  function items() {
    var out = [];
    patient().images.forEach(function (img, i) {
      img.clusters.forEach(function (k) { out.push({kind: 'cluster', img: i, cluster: k}); });
      addedOn(img).forEach(function (d) { out.push({kind: 'added', img: i, d: d}); });
    });
    return out;
  }

  // ---- drawing -----------------------------------------------------------------------------
  function renderNav() {
    var nav = $('patients');
    nav.textContent = '';
    study.patients.forEach(function (p, i) {
      var s = states[p.patient_key];
      var b = el('button', {cls: (i === current ? 'current ' : '') + (s.reviewed_at ? 'done' : ''), 'data-key': p.patient_key,
        title: 'detector ' + p.detector_flag, onclick: function () { go(i); }},
        [el('span', {cls: 'key', text: p.patient_key}),
         el('span', {cls: s.flag === 'positive' ? 'pos' : 'neg', text: s.flag === 'positive' ? '+' : '−'})]);
      nav.appendChild(b);
    });
    var done = study.patients.filter(function (p) { return states[p.patient_key].reviewed_at; }).length;
    $('progress').textContent = 'reviewed ' + done + ' / ' + study.patients.length + ' patients';
  }

  function renderPatient() {
    var p = patient(), main = $('images');
    main.textContent = '';
    p.images.forEach(function (img, i) {
      var frame;
      if (img.overlay) {
        var pic = el('img', {src: img.overlay + '?token=' + encodeURIComponent(TOKEN), alt: 'overlay ' + img.laterality + ' ' + img.view,
          width: img.width, height: img.height, 'data-index': i, onclick: function (e) { clickImage(i, e); }});
        frame = el('div', {cls: 'frame', id: 'frame-' + i}, [pic, el('div', {cls: 'layer', id: 'layer-' + i})]);
      } else {
        frame = el('div', {cls: 'muted', text: '(no overlay for this image: decide its clusters from the list)'});
      }
      main.appendChild(el('section', {cls: 'image', id: 'img-' + i}, [
        el('div', {cls: 'caption'}, [
          el('b', {text: (img.laterality || '?') + ' ' + (img.view || '?')}),
          ' · score ' + img.score.toFixed(3) + ' · detector ',
          el('span', {cls: img.flag === 'positive' ? 'pos' : 'neg', text: img.flag}),
          ' · ' + img.clusters.length + ' cluster(s)']),
        el('div', {cls: 'body'}, [frame, el('ul', {cls: 'items', id: 'items-' + i})])]));
    });
    refresh();
    window.scrollTo(0, 0);
  }

  function actionButton(label, key, on, handler) {
    return el('button', {cls: 'act' + (on ? ' on' : ''), onclick: handler}, [label + ' ', kbd(key)]);
  }

  function renderHead() {
    var p = patient(), s = state(), head = $('head');
    var source = {reader: "reader's override", clusters: 'follows the cluster decisions', detector: "detector's call, not reviewed yet"}[s.call_source];
    head.textContent = '';
    head.appendChild(el('h2', {text: p.patient_key}));
    head.appendChild(el('span', {}, ['detector ', el('span', {cls: p.detector_flag === 'positive' ? 'pos' : 'neg', text: p.detector_flag})]));
    head.appendChild(el('span', {id: 'call'}, ['call ', el('span', {id: 'call-flag', cls: s.flag === 'positive' ? 'pos' : 'neg', text: s.flag.toUpperCase()}),
      el('span', {cls: 'muted', text: ' (' + source + ')'})]));
    head.appendChild(actionButton('Positive', '+', s.override === 'positive', function () { setCall('positive'); }));
    head.appendChild(actionButton('Negative', '−', s.override === 'negative', function () { setCall('negative'); }));
    head.appendChild(actionButton('Follow clusters', '0', !s.override, function () { setCall(null); }));
    head.appendChild(actionButton('Done, next patient', 'Enter', false, function () { doneAndNext(); }));
    head.appendChild(el('span', {cls: 'muted', text: s.reviewed_at ? 'reviewed ' + s.reviewed_at : 'not reviewed'}));
  }

  function mark(layer, img, cls, box, label, onclick) {
    var m = el('div', {cls: 'mark ' + cls, onclick: onclick}, label ? [el('span', {text: label})] : []);
    m.style.left = pct(box[0], img.width); m.style.top = pct(box[1], img.height);
    m.style.width = pct(box[2] - box[0], img.width); m.style.height = pct(box[3] - box[1], img.height);
    layer.appendChild(m);
  }

  function refresh() {
    if (!study) return;
    var all = items();
    if (selected >= all.length) selected = Math.max(0, all.length - 1);
    renderHead();
    patient().images.forEach(function (img, i) {
      var layer = $('layer-' + i), list = $('items-' + i);
      if (layer) layer.textContent = '';
      list.textContent = '';
      all.forEach(function (it, n) {
        if (it.img !== i) return;
        var sel = n === selected, pick = function (e) { e.stopPropagation(); selected = n; refresh(); };
        if (it.kind === 'cluster') {
          var d = decisionOf(img, it.cluster.cluster_id) || 'pending', k = it.cluster;
          if (layer && k.box) mark(layer, img, d + (sel ? ' sel' : ''), [k.box[0] - 4, k.box[1] - 4, k.box[2] + 4, k.box[3] + 4], '#' + k.cluster_id + ' ' + d, pick);
          list.appendChild(el('li', {cls: sel ? 'sel' : '', 'data-cluster': k.cluster_id, onclick: pick}, [
            el('span', {cls: 'badge ' + d, text: d}),
            el('span', {text: '#' + k.cluster_id + ' · score ' + k.score.toFixed(3) + ' · ' + k.n_calcifications + ' calcifications'}),
            actionButton('Confirm', 'c', d === 'confirmed', function (e) { e.stopPropagation(); selected = n; decide('confirmed'); }),
            actionButton('Reject', 'x', d === 'rejected', function (e) { e.stopPropagation(); selected = n; decide('rejected'); }),
            actionButton('Undecide', 'u', false, function (e) { e.stopPropagation(); selected = n; decide(null); })]));
        } else {
          var r = 18;
          if (layer && it.d.x_px !== undefined) mark(layer, img, 'added' + (sel ? ' sel' : ''), [it.d.x_px - r, it.d.y_px - r, it.d.x_px + r, it.d.y_px + r], 'added', pick);
          list.appendChild(el('li', {cls: sel ? 'sel' : '', 'data-added': it.d.row_px + ',' + it.d.col_px, onclick: pick}, [
            el('span', {cls: 'badge added', text: 'added'}),
            el('span', {text: 'missed cluster at row ' + it.d.row_px + ', col ' + it.d.col_px + ' (image pixels)'}),
            actionButton('Remove', 'u', false, function (e) { e.stopPropagation(); selected = n; removeAdded(it); })]));
        }
      });
      if (!list.childNodes.length) list.appendChild(el('li', {cls: 'muted', text: 'no cluster: click the image (or press a) to add one the detector missed'}));
      if (layer && addMode && addMode.img === i) {
        var c = el('div', {cls: 'cross', id: 'cross'});
        c.style.left = pct(addMode.x, img.width); c.style.top = pct(addMode.y, img.height);
        layer.appendChild(c);
      }
    });
    renderNav();
  }

  // ---- actions -----------------------------------------------------------------------------
  function decide(decision) {
    var it = items()[selected];
    if (!it) return;
    if (it.kind === 'added') { if (decision === null) removeAdded(it); return; }
    post('api/decision', {sop_instance_uid: patient().images[it.img].sop_instance_uid, cluster_id: it.cluster.cluster_id, decision: decision});
  }
  function removeAdded(it) {
    post('api/remove', {sop_instance_uid: it.d.sop_instance_uid, row_px: Number(it.d.row_px), col_px: Number(it.d.col_px)});
  }
  function add(i, x, y) {
    var img = patient().images[i];
    if (!img.view_box) { setStatus('this overlay cannot take a click (unknown layout)', true); return; }
    post('api/add', {sop_instance_uid: img.sop_instance_uid, x_px: x, y_px: y}).then(function () {
      selected = items().length - 1; refresh();
    });
  }
  function setCall(call) { post('api/call', {patient_key: patient().patient_key, call: call}); }
  function doneAndNext() {
    var key = patient().patient_key, last = current === study.patients.length - 1;
    post('api/reviewed', {patient_key: key}).then(function () {
      if (!last) return;
      var left = study.patients.filter(function (p) { return !states[p.patient_key].reviewed_at; }).length;
      setStatus(left ? 'last patient; ' + left + ' not reviewed yet (marked without ✓ on the left)' : 'all patients reviewed', left > 0);
    });
    if (!last) go(current + 1);
  }
  function go(i) {
    if (i < 0 || i >= study.patients.length) return;
    current = i; selected = 0; addMode = null;
    history.replaceState(null, '', '?token=' + encodeURIComponent(TOKEN) + '#' + encodeURIComponent(patient().patient_key));
    renderPatient();
  }
  function clickImage(i, e) {
    var img = patient().images[i], pic = e.currentTarget;
    var x = e.offsetX * img.width / pic.clientWidth, y = e.offsetY * img.height / pic.clientHeight;
    var vb = img.view_box;
    if (!vb || x < vb[0] || y < vb[1] || x >= vb[0] + vb[2] || y >= vb[1] + vb[3]) {
      setStatus('click on the whole-breast view to add a missed cluster', true); return;
    }
    addMode = null;
    add(i, x, y);
  }
  function startAdd() {
    var p = patient(), it = items()[selected], i = it ? it.img : 0;
    if (!p.images.length || !p.images[i].view_box) { setStatus('no overlay to place a cluster on', true); return; }
    var vb = p.images[i].view_box;
    addMode = {img: i, x: vb[0] + vb[2] / 2, y: vb[1] + vb[3] / 2};
    setStatus('add: arrows move (Shift: faster), i: next image, Enter places, Esc cancels');
    refresh();
    $('img-' + i).scrollIntoView({block: 'nearest'});
  }
  function moveAdd(dx, dy, fast) {
    var vb = patient().images[addMode.img].view_box, step = (fast ? 0.05 : 0.01) * Math.max(vb[2], vb[3]);
    addMode.x = Math.min(vb[0] + vb[2] - 0.5, Math.max(vb[0], addMode.x + dx * step));
    addMode.y = Math.min(vb[1] + vb[3] - 0.5, Math.max(vb[1], addMode.y + dy * step));
    refresh();
  }
  function nextAddImage() {
    var imgs = patient().images;
    for (var k = 1; k <= imgs.length; k++) {
      var i = (addMode.img + k) % imgs.length;
      if (imgs[i].view_box) { var vb = imgs[i].view_box; addMode = {img: i, x: vb[0] + vb[2] / 2, y: vb[1] + vb[3] / 2}; break; }
    }
    refresh();
    $('img-' + addMode.img).scrollIntoView({block: 'nearest'});
  }
  function select(delta) {
    var n = items().length;
    if (!n) return;
    selected = (selected + delta + n) % n;
    refresh();
    var it = items()[selected];
    $('img-' + it.img).scrollIntoView({block: 'nearest'});
  }

  function onKey(e) {
    if (!study || e.ctrlKey || e.metaKey || e.altKey) return;
    var k = e.key;
    if (addMode) {
      var moves = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]};
      if (moves[k]) moveAdd(moves[k][0], moves[k][1], e.shiftKey);
      else if (k === 'Enter' || k === 'a') { var m = addMode; addMode = null; add(m.img, m.x, m.y); }
      else if (k === 'Escape') { addMode = null; setStatus('add cancelled'); refresh(); }
      else if (k === 'i') nextAddImage();
      else return;
      e.preventDefault();
      return;
    }
    var actions = {
      j: function () { select(1); }, ArrowDown: function () { select(1); },
      k: function () { select(-1); }, ArrowUp: function () { select(-1); },
      c: function () { decide('confirmed'); }, x: function () { decide('rejected'); }, u: function () { decide(null); },
      a: startAdd, '+': function () { setCall('positive'); }, '-': function () { setCall('negative'); },
      '0': function () { setCall(null); }, Enter: doneAndNext, n: doneAndNext,
      p: function () { go(current - 1); }, '?': function () { $('help').classList.toggle('hidden'); },
      Escape: function () { $('help').classList.add('hidden'); }
    };
    if (!actions[k]) return;
    e.preventDefault();
    actions[k]();
  }

  // ---- start -------------------------------------------------------------------------------
  fetch('api/study?token=' + encodeURIComponent(TOKEN), {cache: 'no-store'})
    .then(function (r) { if (!r.ok) throw new Error('the server refused (' + r.status + ')'); return r.json(); })
    .then(function (data) {
      study = data;
      study.patients.forEach(function (p) { states[p.patient_key] = p.state; });
      if (!study.patients.length) { setStatus('no patient in this scan', true); return; }
      var wanted = decodeURIComponent(location.hash.slice(1)), start = -1;
      study.patients.forEach(function (p, i) { if (p.patient_key === wanted) start = i; });
      if (start < 0) {  // resume: the first patient not reviewed yet
        start = 0;
        for (var i = 0; i < study.patients.length; i++) { if (!states[study.patients[i].patient_key].reviewed_at) { start = i; break; } }
      }
      document.addEventListener('keydown', onKey);
      go(start);
      setStatus('ready');
      document.body.dataset.saves = '0';
      document.body.dataset.ready = '1';
    })
    .catch(function (err) { setStatus(err.message, true); });
})();
