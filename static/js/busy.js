// Feedback on slow downloads (PDF annexes of long budgets take a second or two): the link says so.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-busy]");
  if (!link) return;
  const label = link.textContent;
  link.textContent = link.dataset.busy;
  link.setAttribute("aria-busy", "true");
  setTimeout(() => { link.textContent = label; link.removeAttribute("aria-busy"); }, 4000);
});

// Feedback on slow forms (importing a roster of thousands of people takes a second): the button says what is
// happening and is not pressed twice.
document.addEventListener("submit", (event) => {
  const button = event.target.querySelector("button[data-busy]");
  if (!button || event.defaultPrevented) return;
  button.textContent = button.dataset.busy;
  button.setAttribute("aria-busy", "true");
  setTimeout(() => { button.disabled = true; }, 0);
});
