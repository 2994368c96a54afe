// "Copy" buttons of the paper page's Cite block: shown only when the browser can copy.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("button.copy-reference").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var reference = document.getElementById(button.dataset.copy);
      navigator.clipboard.writeText(reference.textContent.trim()).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
  });
})();
