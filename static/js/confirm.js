// A form that asks before it is sent (delete, share, withdraw…) says so in data-confirm; the page has no
// inline handlers (the Content-Security-Policy allows only this app's script files). Listening in the capture
// phase, the question comes before any other submit handler (busy.js) changes the button.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
