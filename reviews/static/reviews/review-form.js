// Sends the rating form with fetch and swaps in the new rating summary, so the page updates
// in place. Without this script the form is a plain POST and the page reloads.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("[data-review-form]");
  if (!form) return;
  event.preventDefault();
  const status = form.querySelector("[data-review-status]");
  status.textContent = "Saving…";
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const data = await response.json();
    if (!response.ok) {
      status.textContent = (data.errors || ["Your rating could not be saved."]).join(" ");
      return;
    }
    const block = document.querySelector("[data-rating-summary]");
    if (block) {
      block.outerHTML = data.summary_html;
      const fresh = document.querySelector("[data-rating-summary] [data-review-status]");
      if (fresh) fresh.textContent = data.message;
    } else {
      status.textContent = data.message;
    }
  } catch (error) {
    form.submit(); // network trouble: fall back to the plain form
  }
}, { once: false });
