// Render the math that pymdownx.arithmatex (generic mode) leaves as \( ... \) and \[ ... \],
// with the KaTeX copy bundled in docs/vendor/katex (the site needs no network).
function rewardkitRenderMath() {
  renderMathInElement(document.body, {
    delimiters: [
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
    ],
    throwOnError: false,
  });
}
if (typeof document$ !== "undefined") {
  document$.subscribe(rewardkitRenderMath); // Material's instant navigation
} else {
  document.addEventListener("DOMContentLoaded", rewardkitRenderMath);
}
