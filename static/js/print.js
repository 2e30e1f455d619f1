// A page opened to be printed (?print=1) opens the browser's print dialog.
window.addEventListener("load", function () { window.print(); });
