// The web chat page: shows the bot's replies, posts what the visitor types or presses, and polls
// for pushed messages. Text from the server is only ever set with textContent, never as HTML.
(function () {
  'use strict';

  var TEXTS = {
    'zh-CN': {
      title: '窗口服务评价',
      subtitle: '您的身份不会透露给窗口工作人员',
      transcript: '对话记录',
      inputLabel: '输入消息',
      placeholder: '输入消息…',
      send: '发送',
      photo: '发送照片',
      photoAlt: '我发送的照片',
      choices: '请选择',
      offline: '网络连接失败，请检查网络后重试。',
      tooBig: '照片不能超过 5 MB，请换一张。'
    },
    en: {
      title: 'Rate a service window',
      subtitle: 'Your identity is never shown to the window staff',
      transcript: 'Conversation',
      inputLabel: 'Type a message',
      placeholder: 'Type a message…',
      send: 'Send',
      photo: 'Send a photo',
      photoAlt: 'Photo I sent',
      choices: 'Choose one',
      offline: 'Could not reach the server. Please check your connection and try again.',
      tooBig: 'Photos can be up to 5 MB. Please choose another one.'
    }
  };
  var WINDOW_CODE = /^[A-Za-z0-9-]{1,40}$/;
  var STAFF_NO = /^[A-Za-z0-9_-]{1,40}$/;
  var MAX_PHOTO = 5 * 1024 * 1024;
  var POLL_MS = 10000;

  var root = document.documentElement;
  var params = new URLSearchParams(location.search);
  var lang = pickLang();
  var t = TEXTS[lang];

  var main = document.querySelector('.main');
  var log = document.getElementById('log');
  var form = document.getElementById('composer');
  var input = document.getElementById('text');
  var sendBtn = document.getElementById('send');
  var photoBtn = document.getElementById('photo-btn');
  var photoInput = document.getElementById('photo');

  // Requests go one after another so replies appear in the order things were sent.
  var queue = Promise.resolve();
  // The last bot message that carried buttons: a reply with edit:true replaces it (multi-select ticks).
  var lastButtons = null;
  var polling = false;

  // pickLang: ?lang= wins, then the browser's languages; Chinese of any region is zh-CN, any
  // other named language gets English, and with none the server's default applies.
  function norm(tag) {
    tag = String(tag || '').toLowerCase();
    if (tag === 'zh' || /^zh[-_]/.test(tag)) return 'zh-CN';
    if (tag === 'en' || /^en[-_]/.test(tag)) return 'en';
    return '';
  }
  function pickLang() {
    var l = norm(params.get('lang'));
    if (l) return l;
    var list = navigator.languages && navigator.languages.length ? navigator.languages
      : (navigator.language ? [navigator.language] : []);
    for (var i = 0; i < list.length; i++) {
      l = norm(list[i]);
      if (l) return l;
    }
    if (list.length) return 'en';
    return norm(root.getAttribute('data-default-lang')) || 'zh-CN';
  }

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

  function note(text) {
    var li = el('li', 'msg note');
    li.setAttribute('role', 'status');
    li.appendChild(el('div', 'bubble', text));
    return append(li);
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
        var rowEl = el('div', 'row');
        row.forEach(function (b) {
          var bt = el('button', 'choice', b.label);
          bt.type = 'button';
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
    replies.forEach(function (r) {
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
      render(replies, {});
    }).catch(function () {
      // A missed poll is retried at the next tick; no need to alarm the visitor.
    }).then(function () { polling = false; });
  }

  function setup() {
    var title = root.getAttribute('data-title') || t.title;
    root.lang = lang;
    document.title = title;
    document.getElementById('title').textContent = title;
    document.getElementById('subtitle').textContent = t.subtitle;
    document.getElementById('text-label').textContent = t.inputLabel;
    document.getElementById('photo-label').textContent = t.photo;
    photoBtn.title = t.photo;
    log.setAttribute('aria-label', t.transcript);
    input.placeholder = t.placeholder;
    sendBtn.textContent = t.send;
    photoBtn.hidden = false;

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

    // A deep link from a window's QR poster starts rating that window, one from a staff member's
    // poster (?s=) rates their window with them chosen; otherwise say hello.
    var w = params.get('w');
    var s = params.get('s');
    var start = '/start';
    if (w && WINDOW_CODE.test(w)) {
      start = '/start w_' + w;
    } else if (s && STAFF_NO.test(s)) {
      start = '/start s_' + s;
    }
    post({ text: start }, {});

    setInterval(poll, POLL_MS);
    document.addEventListener('visibilitychange', poll);
  }

  setup();
})();
