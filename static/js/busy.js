// Feedback on slow downloads (PDF annexes of long budgets take a second or two): the link says so.
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-busy]");
  if (!link) return;
  const label = link.textContent;
  link.textContent = link.dataset.busy;
  link.setAttribute("aria-busy", "true");
  setTimeout(() => { link.textContent = label; link.removeAttribute("aria-busy"); }, 4000);
});
