// The template editor's live preview: after each pause in typing, post the text to the preview
// endpoint (nothing is stored) and show the year's summary, or every problem of the template.
(function () {
  var form = document.querySelector(".template-form");
  if (!form) return;
  var box = document.querySelector(".template-preview");
  var errors = box.querySelector(".preview-errors");
  var body = box.querySelector(".preview-body");
  var timer = null;
  function text(tag, content, cls) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (cls) el.className = cls;
    return el;
  }
  function show(summary) {
    body.replaceChildren(text("h3", summary.title));
    if (summary.intro) body.appendChild(text("p", summary.intro));
    (summary.sections || []).forEach(function (s) {
      body.appendChild(text("h4", s.title));
      if (s.text) body.appendChild(text("p", s.text));
      (s.subsections || []).forEach(function (sub) {
        body.appendChild(text("h5", sub.title));
        body.appendChild(text("p", sub.text, "preview-text"));
      });
    });
  }
  function preview() {
    var data = new FormData(form);
    fetch(form.dataset.preview, {method: "POST", body: data, credentials: "same-origin",
                                 headers: {"X-CSRFToken": data.get("csrf_token")}})
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        errors.replaceChildren();
        if (answer.ok) { show(answer.summary); return; }
        (answer.errors || []).forEach(function (e) { errors.appendChild(text("li", e, "field-error")); });
      });
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(preview, 600); });
  form.querySelector(".preview-button").addEventListener("click", preview);
  preview();
})();
