// liveguard page script (every signed-in page): asks before a step that cannot be undone.
// A submit button or form with data-confirm="…" shows that text and goes on only if the
// person agrees. Served from /static/page.js (the CSP allows only same-origin scripts).
'use strict';
document.addEventListener('submit', (event) => {
  const button = event.submitter;
  const message = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// A file chosen in <input type="file" data-into="FIELD" data-name-into="NAME"> is read here
// and put, base64-encoded, in the form's hidden FIELD (and its name in NAME), so that the
// form posts it like any other field and a refused form can hand it back.
document.addEventListener('change', (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== 'file' || !input.dataset.into) return;
  const data = input.form.elements.namedItem(input.dataset.into);
  const name = input.form.elements.namedItem(input.dataset.nameInto);
  const file = input.files && input.files[0];
  if (!file) {
    data.value = '';
    name.value = '';
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    data.value = String(reader.result).split(',')[1] || '';
    name.value = file.name;
  };
  reader.readAsDataURL(file);
});
