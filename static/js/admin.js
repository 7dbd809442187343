// Admin screens: "select all" checkboxes for bulk decisions. Loaded with the CSP nonce;
// no inline handlers.
document.addEventListener("change", function (ev) {
  var box = ev.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.checkAll) return;
  document.querySelectorAll('input[type="checkbox"][name="' + box.dataset.checkAll + '"]').forEach(function (cb) {
    cb.checked = box.checked;
  });
});
