// liveguard page script (every signed-in page): asks before a step that cannot be undone.
// A submit button or form with data-confirm="…" shows that text and goes on only if the
// person agrees. Served from /static/page.js (the CSP allows only same-origin scripts).
'use strict';
document.addEventListener('submit', (event) => {
  const button = event.submitter;
  const message = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
