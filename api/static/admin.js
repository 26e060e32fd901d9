/* The admin console's small enhancements; every page works without them.
   - A rule set refused with a line number: select that line in the editor and bring it
     into view, so the admin lands on what to fix. */
(function () {
  "use strict";

  function selectLine(area, number) {
    var lines = area.value.split("\n");
    if (number < 1 || number > lines.length) {
      return;
    }
    var start = 0;
    for (var i = 0; i < number - 1; i += 1) {
      start += lines[i].length + 1;
    }
    area.focus();
    area.setSelectionRange(start, start + lines[number - 1].length);
    // Scroll the editor so that the line sits about a third of the way down.
    var lineHeight = area.scrollHeight / Math.max(lines.length, 1);
    area.scrollTop = Math.max(0, (number - 1) * lineHeight - area.clientHeight / 3);
  }

  var line = document.querySelector("[data-detail=line]");
  var area = document.querySelector("textarea[name=text]");
  if (line && area) {
    selectLine(area, parseInt(line.textContent, 10));
  }
})();
