// Galley admin portal: copy buttons. Every page works without this file;
// it only adds a "Copy" button next to each element marked data-copy.
document.querySelectorAll('[data-copy]').forEach((el) => {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'copy secondary';
  button.textContent = 'Copy';
  button.setAttribute('aria-label', `Copy ${el.dataset.copy}`);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(el.textContent.trim());
      button.textContent = 'Copied';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(el);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = 'Selected: press Ctrl+C';
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 2000);
  });
  el.after(button);
});
