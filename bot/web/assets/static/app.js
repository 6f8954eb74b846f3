// The web chat page: shows the conversation so far (the server keeps it for the visitor's
// cookie, so a reload carries on where it was), posts what the visitor types or presses, and polls
// for pushed messages. Text from the server is only ever set with textContent, never as HTML.
(function () {
  'use strict';

  // The words, the photo limit and the deep-link patterns are the server's (the page carries
  // them), so the script never disagrees with what the server checks and says.
  var root = document.documentElement;
  var t = JSON.parse(document.getElementById('texts').textContent);
  var WINDOW_CODE = new RegExp(root.getAttribute('data-window-code'));
  var STAFF_NO = new RegExp(root.getAttribute('data-staff-no'));
  var CASE_TOKEN = new RegExp(root.getAttribute('data-case-token'));
  var MAX_PHOTO = Number(root.getAttribute('data-max-photo'));
  var POLL_MS = 10000;

  // The server chose the language (?lang=, then the browser's languages, then its default) and
  // wrote the page in it; requests ask for the same.
  var lang = root.lang;
  var params = new URLSearchParams(location.search);

  var main = document.querySelector('.main');
  var log = document.getElementById('log');
  var form = document.getElementById('composer');
  var input = document.getElementById('text');
  var sendBtn = document.getElementById('send');
  var photoBtn = document.getElementById('photo-btn');
  var photoInput = document.getElementById('photo');
  var restartBtn = document.getElementById('restart');
  var largeBtn = document.getElementById('large');
  var live = document.getElementById('live');
  var SVG = 'http://www.w3.org/2000/svg';
  // LARGE_KEY remembers 大字模式 in this browser, across reloads and visits.
  var LARGE_KEY = 'windowbot.large';

  // Requests go one after another so replies appear in the order things were sent.
  var queue = Promise.resolve();
  // The last bot message that carried buttons: a reply with edit:true replaces it (multi-select ticks).
  var lastButtons = null;
  var polling = false;

  // Relative URLs work from both / and /chat, and behind a path prefix.
  function api(name) {
    return 'chat/api/' + name + '?lang=' + encodeURIComponent(lang);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function scrollDown() {
    main.scrollTop = main.scrollHeight;
  }

  function append(li) {
    log.appendChild(li);
    scrollDown();
    return li;
  }

  function mine(text) {
    var li = el('li', 'msg me');
    li.appendChild(el('div', 'bubble', text));
    return li;
  }

  // entry shows one message of the conversation as the server kept it: the visitor's words or
  // photo, or a bot message whose buttons are shown used when one of them was pressed.
  function entry(m) {
    if (m.from === 'me') {
      append(mine(m.photo ? t.photoSent : m.text));
      return;
    }
    var node = botMessage(m);
    if (m.pressed) {
      node.setAttribute('data-pressed', '1');
      buttonsOf(node).forEach(function (b) {
        b.disabled = true;
        if (b.getAttribute('data-label') === m.pressed) b.classList.add('chosen');
      });
    }
    append(node);
    if (m.buttons && m.buttons.length) lastButtons = node;
    photoBtn.hidden = !m.accepts_photo;
  }

  // loadHistory shows the conversation so far and the pushes that waited for the page; it
  // resolves to the number of messages, or -1 when the server could not be asked.
  function loadHistory() {
    return fetch(api('history'), { credentials: 'same-origin' }).then(readJSON).then(function (data) {
      var ms = data.messages || [];
      ms.forEach(entry);
      return ms.length;
    }).catch(function (err) {
      note(err && err.message ? err.message : t.offline);
      return -1;
    });
  }

  function note(text) {
    var li = el('li', 'msg note');
    li.setAttribute('role', 'status');
    li.appendChild(el('div', 'bubble', text));
    return append(li);
  }

  // MARKS are the signs a label from the server may begin with (a chosen option's tick, a
  // level's stars); the page shows them in its own way beside the words.
  var MARKS = /^[\u221a\u2705\u2605\u2606 ]+/;

  // face draws the face of a rating level: the mouth curves up for the good levels, is flat for
  // 基本满意 and turns down for the bad ones. It is decoration beside the stars and the word.
  function face(level) {
    var s = document.createElementNS(SVG, 'svg');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    s.setAttribute('class', 'face');
    var mouth = { 5: 'M7 13.5q5 5 10 0', 4: 'M8 14q4 3 8 0', 3: 'M8 15h8', 2: 'M8 16q4-3 8 0', 1: 'M7 17q5-5 10 0' }[level];
    [['circle', { cx: 12, cy: 12, r: 10.5, fill: 'none', stroke: 'currentColor', 'stroke-width': 2 }],
     ['circle', { cx: 8.5, cy: 9.5, r: 1.5, fill: 'currentColor' }],
     ['circle', { cx: 15.5, cy: 9.5, r: 1.5, fill: 'currentColor' }],
     ['path', { d: mouth, fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round' }]
    ].forEach(function (p) {
      var e = document.createElementNS(SVG, p[0]);
      Object.keys(p[1]).forEach(function (k) { e.setAttribute(k, p[1][k]); });
      s.appendChild(e);
    });
    return s;
  }

  // choiceButton shows one choice: a rating level with its colour, face, stars and word; an
  // option of a checklist with a box that is ticked, and the word 已选, when it is chosen; else
  // the label as it is. data-label keeps the label the server knows it by.
  function choiceButton(b, multi) {
    var bt = el('button', 'choice');
    bt.type = 'button';
    bt.setAttribute('data-label', b.label);
    var words = b.label.replace(MARKS, '') || b.label;
    var mark = b.label.slice(0, b.label.length - words.length).trim();
    if (b.level) {
      bt.classList.add('level', 'lvl-' + b.level);
      bt.appendChild(face(b.level));
      var st = el('span', 'stars', mark);
      st.setAttribute('aria-hidden', 'true');
      bt.appendChild(st);
      bt.appendChild(el('span', 'words', words));
      return bt;
    }
    if (multi && b.payload.slice(-5) !== ':done') {
      bt.classList.add('check');
      bt.setAttribute('aria-pressed', b.on ? 'true' : 'false');
      var box = el('span', 'box');
      box.setAttribute('aria-hidden', 'true');
      bt.appendChild(box);
      bt.appendChild(el('span', 'words', words));
      if (b.on) {
        bt.classList.add('on');
        bt.appendChild(el('span', 'badge', t.chosen));
      }
      return bt;
    }
    bt.appendChild(el('span', 'words', b.label));
    return bt;
  }

  function botMessage(r) {
    var li = el('li', 'msg bot');
    li.tabIndex = -1;
    if (r.text) li.appendChild(el('div', 'bubble', r.text));
    var rows = r.buttons || [];
    if (rows.length) {
      var box = el('div', 'choices');
      box.setAttribute('role', 'group');
      box.setAttribute('aria-label', r.text ? r.text.split('\n')[0].slice(0, 80) : t.choices);
      rows.forEach(function (row) {
        if (row.length && row[0].gap) {
          // The bad levels are set apart from the good ones by a line and space.
          var sep = el('div', 'sep');
          sep.setAttribute('aria-hidden', 'true');
          box.appendChild(sep);
        }
        var rowEl = el('div', 'row');
        row.forEach(function (b) {
          var bt = choiceButton(b, r.multi);
          bt.addEventListener('click', function () { press(li, bt, b, r.id); });
          rowEl.appendChild(bt);
        });
        box.appendChild(rowEl);
      });
      li.appendChild(box);
      li.classList.add('has-choices');
    }
    return li;
  }

  // announce reads a bot message out to screen readers, through the live region: the page's
  // own list is not one, so the visitor's words are not read back to them.
  function announce(text) {
    if (!text) return;
    live.textContent = '';
    setTimeout(function () { live.textContent = text; }, 50);
  }

  function buttonsOf(li) {
    return li ? Array.prototype.slice.call(li.querySelectorAll('button.choice')) : [];
  }

  function press(li, bt, b, id) {
    if (li.getAttribute('data-pressed')) return;
    li.setAttribute('data-pressed', '1');
    var all = buttonsOf(li);
    all.forEach(function (x) { x.disabled = true; });
    bt.classList.add('chosen');
    post({ payload: b.payload, message_id: id }, { from: li, pressed: bt, index: all.indexOf(bt), label: b.label });
  }

  function unpress(li, bt) {
    li.removeAttribute('data-pressed');
    bt.classList.remove('chosen');
    buttonsOf(li).forEach(function (x) { x.disabled = false; });
  }

  function typing() {
    var li = el('li', 'msg bot typing');
    li.setAttribute('aria-hidden', 'true');
    var b = el('div', 'bubble');
    for (var i = 0; i < 3; i++) b.appendChild(el('span', 'dot', '•'));
    li.appendChild(b);
    return append(li);
  }

  function readJSON(res) {
    return res.json().catch(function () { return {}; }).then(function (data) {
      if (!res.ok) throw new Error(data.message || t.offline);
      return data;
    });
  }

  // render shows replies; ctx says what the visitor did, to decide where focus goes.
  function render(replies, ctx) {
    var edited = null;
    var last = null;
    var said = [];
    replies.forEach(function (r) {
      if (r.text) said.push(r.text);
      var node = botMessage(r);
      if (r.edit && lastButtons && lastButtons.isConnected) {
        lastButtons.replaceWith(node);
        lastButtons = node;
        edited = node;
      } else {
        append(node);
        if (r.buttons && r.buttons.length) lastButtons = node;
      }
      last = node;
    });
    announce(said.join('\n'));
    if (!ctx.poll && replies.length) photoBtn.hidden = !replies[replies.length - 1].accepts_photo;
    if (!ctx.from || !last) return;
    // After a press the pressed button is gone or disabled: keep the visitor where they were in a
    // multi-select, else take them to the next choices, else to the new message itself.
    var target = null;
    if (edited) {
      var bs = buttonsOf(edited);
      target = bs[ctx.index] || bs[0] || null;
    }
    if (!target) target = buttonsOf(last)[0] || last;
    target.focus();
  }

  function post(body, ctx) {
    queue = queue.then(function () { return send(body, ctx); });
  }

  function send(body, ctx) {
    var init = { method: 'POST', credentials: 'same-origin', body: body };
    if (!(body instanceof FormData)) {
      init.headers = { 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    var dots = typing();
    return fetch(api('message'), init).then(readJSON).then(function (data) {
      dots.remove();
      var replies = data.replies || [];
      // A pressed choice is echoed as the visitor's own message, except when the reply only ticks
      // a box in place.
      if (ctx.label && !(replies.length && replies[0].edit)) append(mine(ctx.label));
      render(replies, ctx);
    }).catch(function (err) {
      dots.remove();
      note(err && err.message ? err.message : t.offline);
      if (ctx.from) {
        unpress(ctx.from, ctx.pressed);
        ctx.pressed.focus();
      }
      // Put unsent text back for another try, rather than leave it looking delivered.
      if (ctx.typed && !input.value) {
        if (ctx.bubble) ctx.bubble.remove();
        input.value = ctx.typed;
      }
    });
  }

  function poll() {
    if (document.visibilityState !== 'visible' || polling) return;
    polling = true;
    fetch(api('inbox'), { credentials: 'same-origin' }).then(readJSON).then(function (data) {
      var replies = data.replies || [];
      replies.forEach(function (r) { r.edit = false; });
      render(replies, { poll: true });
    }).catch(function () {
      // A missed poll is retried at the next tick; no need to alarm the visitor.
    }).then(function () { polling = false; });
  }

  // restart starts over on purpose: a first tap asks, a second within a few seconds clears the
  // conversation on the server and shows its welcome.
  var sure = null;
  function restart() {
    if (!sure) {
      restartBtn.textContent = t.restartSure;
      restartBtn.classList.add('sure');
      sure = setTimeout(calm, 4000);
      return;
    }
    calm();
    queue = queue.then(function () {
      return fetch(api('restart'), {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' }, body: '{}'
      }).then(readJSON).then(function (data) {
        log.textContent = '';
        lastButtons = null;
        render(data.replies || [], {});
      }).catch(function (err) {
        note(err && err.message ? err.message : t.offline);
      });
    });
  }

  function calm() {
    clearTimeout(sure);
    sure = null;
    restartBtn.textContent = t.restart;
    restartBtn.classList.remove('sure');
  }

  // deepLink is the /start a QR poster's link asks for (?w= a window, ?s= a staff member, ?c= a
  // case's rating invitation, ?k= the ticket link texted to a complainant, ?g= a matter's guide),
  // once: it is taken off the address, so a reload does not start over.
  function deepLink() {
    var w = params.get('w');
    var s = params.get('s');
    var c = params.get('c');
    var k = params.get('k');
    var g = params.get('g');
    var start = '';
    if (c && CASE_TOKEN.test(c)) {
      start = '/start c_' + c;
    } else if (k && CASE_TOKEN.test(k)) {
      start = '/start k_' + k;
    } else if (g && WINDOW_CODE.test(g)) {
      start = '/start g_' + g;
    } else if (w && WINDOW_CODE.test(w)) {
      start = '/start w_' + w;
    } else if (s && STAFF_NO.test(s)) {
      start = '/start s_' + s;
    }
    if (w !== null || s !== null || c !== null || k !== null || g !== null) {
      params.delete('w');
      params.delete('s');
      params.delete('c');
      params.delete('k');
      params.delete('g');
      var q = params.toString();
      history.replaceState(null, '', location.pathname + (q ? '?' + q : '') + location.hash);
    }
    return start;
  }

  // setLarge switches 大字模式 (text and controls half as large again) and remembers it.
  function setLarge(on) {
    root.classList.toggle('large', on);
    largeBtn.setAttribute('aria-pressed', on ? 'true' : 'false');
    try {
      if (on) localStorage.setItem(LARGE_KEY, '1'); else localStorage.removeItem(LARGE_KEY);
    } catch (e) {
      // Storage refused (private mode): large text for this page only.
    }
  }

  function largeStored() {
    try { return localStorage.getItem(LARGE_KEY) === '1'; } catch (e) { return false; }
  }

  function setup() {
    var title = root.getAttribute('data-title') || t.title;
    root.lang = lang;
    document.title = title;
    document.getElementById('title').textContent = title;
    document.getElementById('subtitle').textContent = t.subtitle;
    document.getElementById('text-label').textContent = t.inputLabel;
    document.getElementById('photo-label').textContent = t.photo;
    largeBtn.textContent = t.large;
    largeBtn.hidden = false;
    setLarge(largeStored());
    largeBtn.addEventListener('click', function () { setLarge(!root.classList.contains('large')); });
    log.setAttribute('aria-label', t.transcript);
    input.placeholder = t.placeholder;
    sendBtn.textContent = t.send;
    restartBtn.textContent = t.restart;
    restartBtn.hidden = false;
    restartBtn.addEventListener('click', restart);

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (!text) { input.focus(); return; }
      input.value = '';
      post({ text: text }, { typed: text, bubble: append(mine(text)) });
    });

    photoBtn.addEventListener('click', function () { photoInput.click(); });
    photoInput.addEventListener('change', function () {
      var f = photoInput.files && photoInput.files[0];
      photoInput.value = '';
      if (!f) return;
      if (f.size > MAX_PHOTO) { note(t.tooBig); return; }
      var li = el('li', 'msg me');
      var b = el('div', 'bubble');
      var img = el('img');
      img.alt = t.photoAlt;
      img.src = URL.createObjectURL(f);
      b.appendChild(img);
      li.appendChild(b);
      append(li);
      var fd = new FormData();
      fd.append('photo', f);
      post(fd, {});
    });

    // The conversation so far comes first: a reload carries on where the visitor was. Then a
    // deep link from a window's QR poster starts rating that window, one from a staff member's
    // poster (?s=) rates their window with them chosen; a visitor with no conversation is
    // greeted. Nothing else starts over: that is the restart button's.
    var start = deepLink();
    queue = loadHistory().then(function (n) {
      if (start) return send({ text: start }, {});
      if (n === 0) return send({ text: '/start' }, {});
    });

    setInterval(poll, POLL_MS);
    document.addEventListener('visibilitychange', poll);
  }

  setup();
})();
