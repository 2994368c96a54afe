// The Save controls (library/_paper_save.html, library/_save_button.html): without
// JavaScript they POST and come back with a message; here they save in place and say so in
// their aria-live status.
(function () {
  document.querySelectorAll("form[data-save]").forEach(function (form) {
    var status = form.querySelector("[data-save-status]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) {
            status.textContent = data.message || (response.ok ? "Saved." : "Not saved.");
            if (response.ok) {
              var option = form.querySelector("select option:checked");
              if (option && !/ \(saved\)$/.test(option.textContent)) {
                option.textContent += " (saved)";
              }
            }
          });
        })
        .catch(function () {
          status.textContent = "Not saved: the server could not be reached. Try again.";
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  });
})();
