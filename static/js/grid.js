// The records grid: inline editing by field type, keyboard navigation, the filter and sort
// builder that writes the formula, and columns hidden or moved (remembered per user and
// table in this browser). htmx swaps #grid on paging, sorting and filtering; everything
// here is bound to the document, so it works on the swapped grid too.
(() => {
  const grid = () => document.getElementById("grid");
  const csrf = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  const columns = () => {
    const node = document.getElementById("grid-columns");
    return node ? JSON.parse(node.textContent) : [];
  };
  const column = (name) => columns().find((item) => item.name === name);
  const message = (text, isError) => {
    const box = grid()?.querySelector(".grid-message");
    if (!box) return;
    box.textContent = text;
    box.classList.toggle("errorlist", Boolean(isError));
  };

  // --- columns: hidden and order ----------------------------------------------------------
  const layoutKey = () => `grid-layout:${grid().dataset.user}:${grid().dataset.table}`;
  // The server keeps each member's layout; the browser's copy is a cache of it, refreshed
  // from the page (which carries the server's copy) and written through on every change.
  const serverLayout = () => {
    const node = grid()?.querySelector("#grid-layout");
    if (!node || node.dataset.read) return;
    node.dataset.read = "true";
    localStorage.setItem(layoutKey(), node.textContent);
  };
  const layout = () => {
    serverLayout();
    try { return JSON.parse(localStorage.getItem(layoutKey())) || { hidden: [], order: [] }; }
    catch { return { hidden: [], order: [] }; }
  };
  const saveLayout = (value) => {
    localStorage.setItem(layoutKey(), JSON.stringify(value));
    fetch(grid().dataset.layoutUrl, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(value),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
    }).then((response) => { if (!response.ok) message("The column layout was not saved.", true); })
      .catch(() => message("The column layout was not saved.", true));
  };
  const orderedNames = () => {
    const names = columns().map((item) => item.name);
    const saved = layout().order.filter((name) => names.includes(name));
    return [...saved, ...names.filter((name) => !saved.includes(name))];
  };
  function applyLayout() {
    const table = grid()?.querySelector("table.records");
    if (!table) return;
    const { hidden } = layout();
    const order = orderedNames();
    table.querySelectorAll("tr").forEach((row) => {
      const cells = [...row.children].filter((cell) => cell.dataset.field !== undefined);
      if (!cells.length) return;
      const tail = row.querySelector(".row-actions");
      order.forEach((name) => {
        const cell = cells.find((item) => item.dataset.field === name);
        if (cell) { row.insertBefore(cell, tail); cell.hidden = hidden.includes(name); }
      });
    });
    renderColumnsMenu();
    const exportLink = document.getElementById("export-csv");
    if (exportLink) exportLink.search = window.location.search.replace(/([?&])offset=[^&]*&?/, "$1");
  }
  function renderColumnsMenu() {
    const list = document.querySelector("#columns-menu ul.columns");
    if (!list) return;
    const { hidden } = layout();
    list.replaceChildren(...orderedNames().map((name, index, all) => {
      const item = document.createElement("li");
      item.innerHTML = `<label><input type="checkbox"></label>
        <button type="button" class="link" data-move="-1" aria-label="Move left">↑</button>
        <button type="button" class="link" data-move="1" aria-label="Move right">↓</button>`;
      const box = item.querySelector("input");
      box.checked = !hidden.includes(name);
      box.dataset.column = name;
      box.after(document.createTextNode(" " + name));
      item.querySelector('[data-move="-1"]').disabled = index === 0;
      item.querySelector('[data-move="1"]').disabled = index === all.length - 1;
      item.dataset.column = name;
      return item;
    }));
  }
  document.addEventListener("change", (event) => {
    const box = event.target.closest("#columns-menu input[data-column]");
    if (!box) return;
    const value = layout();
    value.hidden = value.hidden.filter((name) => name !== box.dataset.column);
    if (!box.checked) value.hidden.push(box.dataset.column);
    saveLayout(value);
    applyLayout();
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("#columns-menu [data-move]");
    if (!button) return;
    const name = button.closest("li").dataset.column;
    const order = orderedNames();
    const from = order.indexOf(name);
    const to = from + Number(button.dataset.move);
    if (to < 0 || to >= order.length) return;
    order.splice(from, 1);
    order.splice(to, 0, name);
    saveLayout({ ...layout(), order });
    applyLayout();
  });

  // --- inline editing ---------------------------------------------------------------------
  function display(value) {
    if (value === null || value === undefined) return "";
    if (value === true) return "✓";
    if (value === false) return "";
    if (Array.isArray(value)) return value.map(display).join(", ");
    if (typeof value === "object") return value.name || value.filename || value.text || value.email || "";
    return String(value);
  }
  function editorFor(cell) {
    const kind = cell.dataset.editor;
    const value = JSON.parse(cell.dataset.value || "null");
    let input;
    if (kind === "select") {
      input = document.createElement("select");
      input.append(new Option("—", ""));
      (column(cell.dataset.field)?.choices || []).forEach((choice) => input.append(new Option(choice, choice)));
      input.value = value ?? "";
    } else {
      input = document.createElement("input");
      input.type = kind === "number" ? "number" : kind === "date" ? "date" : "text";
      if (kind === "number") input.step = "any";
      input.value = value ?? "";
    }
    input.className = "cell-editor";
    input.setAttribute("aria-label", `${cell.dataset.field}`);
    return input;
  }
  function parsed(kind, input) {
    if (kind === "checkbox") return input;
    const raw = input.value.trim();
    if (raw === "") return null;
    if (kind === "number") {
      const number = Number(raw);
      if (!Number.isFinite(number)) throw new Error("Enter a number.");
      return number;
    }
    return raw;
  }
  async function save(cell, value, shownHtml) {
    const before = cell.dataset.value;
    const beforeHtml = cell.innerHTML;
    const row = cell.closest("tr");
    // Optimistic: shown at once, undone if refused.
    if (shownHtml === undefined) cell.textContent = display(value); else cell.innerHTML = shownHtml;
    cell.dataset.value = JSON.stringify(value);
    cell.classList.add("saving");
    message("");
    try {
      const response = await fetch(grid().dataset.cellUrl.replace("__record__", row.dataset.record), {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify({ field: cell.dataset.field, value }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.detail || `Airtable refused the change (${response.status}).`);
      cell.dataset.value = JSON.stringify(body.value ?? null);
      cell.innerHTML = body.html;
      cell.classList.add("saved");
      setTimeout(() => cell.classList.remove("saved"), 1200);
    } catch (error) {
      cell.dataset.value = before;
      cell.innerHTML = beforeHtml;
      cell.classList.add("refused");
      setTimeout(() => cell.classList.remove("refused"), 2500);
      message(`${cell.dataset.field}: ${error.message}`, true);
    } finally {
      cell.classList.remove("saving");
    }
  }
  function startEdit(cell) {
    if (!cell?.dataset.editor || !grid()?.dataset.canWrite || cell.querySelector(".cell-editor")) return;
    const kind = cell.dataset.editor;
    if (kind === "checkbox") { save(cell, !JSON.parse(cell.dataset.value || "false")); return; }
    if (kind === "links") { editLinks(cell); return; }
    const input = editorFor(cell);
    const shown = cell.innerHTML;
    cell.textContent = "";
    cell.append(input);
    input.focus();
    let done = false;
    const finish = (keep) => {
      if (done) return;
      done = true;
      if (!keep) { cell.innerHTML = shown; cell.focus(); return; }
      let value;
      try { value = parsed(kind, input); } catch (error) {
        cell.innerHTML = shown; message(error.message, true); cell.focus(); return;
      }
      const old = JSON.parse(cell.dataset.value || "null");
      cell.innerHTML = shown;
      cell.focus();
      if (JSON.stringify(old ?? null) !== JSON.stringify(value)) save(cell, value);
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); finish(true); }
      if (event.key === "Escape") { event.preventDefault(); finish(false); }
      event.stopPropagation();
    });
    input.addEventListener("blur", () => finish(true));
    if (kind === "select") input.addEventListener("change", () => finish(true));
  }
  document.addEventListener("dblclick", (event) => startEdit(event.target.closest("#grid td[data-editor]")));
  document.addEventListener("click", (event) => {
    const cell = event.target.closest("#grid td[data-field]");
    if (cell && !event.target.closest(".cell-editor")) cell.focus();
  });

  // --- link picker ------------------------------------------------------------------------
  // A linked-record field is edited in a picker: the linked records it holds as chips (×
  // unlinks), a search of the linked table's primary values, Save writes the ids.
  const chipsOf = (node) => [...node.querySelectorAll(".chip[data-record]")]
    .map((chip) => ({ id: chip.dataset.record, name: chip.textContent.trim() }));
  const chipHtml = (items) => items.map((item) => {
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.dataset.record = item.id;
    chip.textContent = item.name;
    return chip.outerHTML;
  }).join(" ");
  let openPicker = null;
  function linkPicker({ anchor, field, linked, onSave, onClose }) {
    openPicker?.close(false);
    const spec = column(field);
    const box = document.createElement("div");
    box.className = "link-picker";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", `Link records: ${field}`);
    box.innerHTML = `<div class="chips" aria-label="Linked records"></div>
      <input type="search" class="link-search" autocomplete="off">
      <ul class="link-results" role="listbox"></ul>
      <p class="picker-actions"><button type="button" data-picker="save">Save</button>
        <button type="button" class="link" data-picker="cancel">Cancel</button>
        <span class="muted link-note"></span></p>`;
    const chips = box.querySelector(".chips");
    const search = box.querySelector(".link-search");
    const results = box.querySelector(".link-results");
    const note = box.querySelector(".link-note");
    search.setAttribute("aria-label", `Search the records ${field} can link to`);
    let chosen = [...linked];
    let single = false;
    function drawChips() {
      chips.replaceChildren(...chosen.map((item) => {
        const chip = document.createElement("span");
        chip.className = "chip";
        chip.dataset.record = item.id;
        chip.textContent = item.name;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link unlink";
        remove.textContent = "×";
        remove.setAttribute("aria-label", `Unlink ${item.name}`);
        remove.addEventListener("click", () => {
          chosen = chosen.filter((other) => other.id !== item.id);
          drawChips();
          search.focus();
        });
        chip.append(remove);
        return chip;
      }));
      if (!chosen.length) chips.textContent = "No linked records.";
      results.querySelectorAll(".link-option").forEach((option) => {
        const linked = chosen.some((item) => item.id === option.dataset.record);
        option.classList.toggle("chosen", linked);
        option.setAttribute("aria-selected", String(linked));
      });
    }
    function choose(item) {
      if (!chosen.some((other) => other.id === item.id)) chosen = single ? [item] : [...chosen, item];
      drawChips();
      search.value = "";
      search.focus();
      find();
    }
    let asked = 0;
    async function find() {
      const ask = ++asked;
      const url = new URL(grid().dataset.linksUrl.replace("__field__", encodeURIComponent(spec?.id || field)), location.href);
      url.searchParams.set("q", search.value.trim());
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        const body = await response.json().catch(() => ({}));
        if (ask !== asked) return;
        if (!response.ok) throw new Error(body.detail || `The search failed (${response.status}).`);
        single = body.single;
        search.placeholder = `Search ${body.table.name}`;
        note.textContent = single ? "One record only." : "";
        results.replaceChildren(...body.records.map((item) => {
          const option = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.className = "link-option";
          button.setAttribute("role", "option");
          button.dataset.record = item.id;
          button.textContent = item.name;
          button.addEventListener("click", () => choose(item));
          option.append(button);
          return option;
        }));
        if (!body.records.length) results.innerHTML = `<li class="muted">No records match.</li>`;
        drawChips();
      } catch (error) {
        if (ask === asked) { results.replaceChildren(); note.textContent = error.message; }
      }
    }
    let timer = null;
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(find, 200); });
    box.addEventListener("keydown", (event) => {
      event.stopPropagation();
      const options = [...results.querySelectorAll(".link-option")];
      const at = options.indexOf(document.activeElement);
      if (event.key === "Escape") { event.preventDefault(); close(false); }
      else if (event.key === "ArrowDown" && options.length) { event.preventDefault(); options[Math.min(at + 1, options.length - 1)].focus(); }
      else if (event.key === "ArrowUp" && at >= 0) { event.preventDefault(); (at === 0 ? search : options[at - 1]).focus(); }
      else if (event.key === "Enter" && event.target === search) {
        event.preventDefault();
        if (search.value.trim() && options.length) choose({ id: options[0].dataset.record, name: options[0].textContent });
        else close(true);
      }
    });
    box.querySelector('[data-picker="save"]').addEventListener("click", () => close(true));
    box.querySelector('[data-picker="cancel"]').addEventListener("click", () => close(false));
    const outside = (event) => { if (!box.contains(event.target) && !anchor.contains(event.target)) close(false); };
    function close(keep) {
      if (openPicker !== handle) return;
      openPicker = null;
      clearTimeout(timer);
      document.removeEventListener("mousedown", outside, true);
      window.removeEventListener("resize", place);
      box.remove();
      if (keep) onSave(chosen); else onClose?.();
    }
    // Under its cell (or button), inside the window however wide it is.
    function place() {
      const at = anchor.getBoundingClientRect();
      const width = Math.min(360, document.documentElement.clientWidth - 16);
      box.style.width = `${width}px`;
      box.style.left = `${Math.max(8, Math.min(at.left, document.documentElement.clientWidth - width - 8)) + window.scrollX}px`;
      box.style.top = `${at.bottom + window.scrollY + 2}px`;
    }
    const handle = { close };
    openPicker = handle;
    document.body.append(box);
    place();
    window.addEventListener("resize", place);
    drawChips();
    find();
    search.focus();
    setTimeout(() => document.addEventListener("mousedown", outside, true));
    return handle;
  }
  function editLinks(cell) {
    const before = chipsOf(cell);
    linkPicker({
      anchor: cell, field: cell.dataset.field, linked: before,
      onClose: () => cell.focus(),
      onSave: (items) => {
        cell.focus();
        const ids = items.map((item) => item.id);
        if (JSON.stringify(ids) !== JSON.stringify(before.map((item) => item.id))) save(cell, ids, chipHtml(items));
      },
    });
  }
  // The record panel's link fields: the picker writes the ids into the form's hidden input.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("#record-panel [data-edit-links]");
    if (!button) return;
    const holder = button.closest(".link-field");
    const input = holder.querySelector("input[type=hidden]");
    const shown = holder.querySelector(".link-chips");
    linkPicker({
      anchor: button, field: holder.dataset.field, linked: chipsOf(shown),
      onClose: () => button.focus(),
      onSave: (items) => {
        input.value = JSON.stringify(items.map((item) => item.id));
        shown.innerHTML = chipHtml(items);
        button.focus();
      },
    });
  });

  // --- keyboard ---------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    const cell = event.target.closest?.("#grid td[data-field]");
    if (!cell || event.target !== cell) return;
    const row = cell.closest("tr");
    const visible = (tr) => [...tr.querySelectorAll("td[data-field]")].filter((td) => !td.hidden);
    const cells = visible(row);
    const index = cells.indexOf(cell);
    let target = null;
    if (event.key === "ArrowRight") target = cells[index + 1];
    if (event.key === "ArrowLeft") target = cells[index - 1];
    if (event.key === "ArrowDown" && row.nextElementSibling) target = visible(row.nextElementSibling)[index];
    if (event.key === "ArrowUp" && row.previousElementSibling) target = visible(row.previousElementSibling)[index];
    if (target) { event.preventDefault(); target.focus(); return; }
    if (event.key === "Enter" || event.key === "F2") { event.preventDefault(); startEdit(cell); }
    if (event.key === " " && cell.dataset.editor === "checkbox") { event.preventDefault(); startEdit(cell); }
  });

  // --- filter and sort builder ------------------------------------------------------------
  const OPERATORS = [
    ["=", "is"], ["!=", "is not"], ["contains", "contains"], [">", ">"], ["<", "<"],
    ["empty", "is empty"], ["filled", "is not empty"],
  ];
  const quote = (text) => `'${String(text).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  function condition(field, operator, raw) {
    const ref = `{${field.replace(/}/g, "\\}")}}`;
    const type = column(field)?.type;
    const numeric = ["number", "currency", "percent", "rating", "duration", "autoNumber", "count"].includes(type);
    const value = numeric && raw.trim() !== "" && Number.isFinite(Number(raw)) ? String(Number(raw)) : quote(raw);
    if (operator === "empty") return `${ref} = BLANK()`;
    if (operator === "filled") return `NOT(${ref} = BLANK())`;
    if (operator === "contains") return `FIND(LOWER(${quote(raw)}), LOWER(${ref} & '')) > 0`;
    if (type === "checkbox" && operator === "=") return raw.toLowerCase().startsWith("t") || raw === "1" || raw === "✓" ? ref : `NOT(${ref})`;
    return `${ref} ${operator} ${value}`;
  }
  function addCondition(builder) {
    const row = document.createElement("p");
    row.className = "condition";
    const fieldSelect = document.createElement("select");
    fieldSelect.setAttribute("aria-label", "Field");
    columns().forEach((item) => fieldSelect.append(new Option(item.name, item.name)));
    const operatorSelect = document.createElement("select");
    operatorSelect.setAttribute("aria-label", "Comparison");
    OPERATORS.forEach(([value, label]) => operatorSelect.append(new Option(label, value)));
    const valueInput = document.createElement("input");
    valueInput.type = "text";
    valueInput.placeholder = "value";
    valueInput.setAttribute("aria-label", "Value");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link";
    remove.textContent = "×";
    remove.setAttribute("aria-label", "Remove condition");
    remove.addEventListener("click", () => row.remove());
    operatorSelect.addEventListener("change", () => {
      valueInput.hidden = ["empty", "filled"].includes(operatorSelect.value);
    });
    row.append(fieldSelect, operatorSelect, valueInput, remove);
    builder.querySelector(".conditions").append(row);
    return row;
  }
  function applyBuilder(builder) {
    const parts = [...builder.querySelectorAll(".condition")].map((row) => {
      const [field, operator, value] = row.querySelectorAll("select, input");
      return condition(field.value, operator.value, value.value);
    });
    const form = document.getElementById("formula-form");
    form.querySelector("#formula").value = parts.length > 1 ? `AND(${parts.join(", ")})` : (parts[0] || "");
    form.querySelector('[name="sort"]').value = builder.querySelector('[data-builder="sort"]').value;
    form.querySelector('[name="dir"]').value = builder.querySelector('[data-builder="dir"]').value;
    form.requestSubmit();
  }
  document.addEventListener("click", (event) => {
    const action = event.target.closest("#filter-builder [data-builder]");
    if (!action || action.tagName === "SELECT") return;
    const builder = document.getElementById("filter-builder");
    if (action.dataset.builder === "add") addCondition(builder);
    if (action.dataset.builder === "apply") applyBuilder(builder);
    if (action.dataset.builder === "clear") {
      builder.querySelector(".conditions").replaceChildren();
      applyBuilder(builder);
    }
  });

  function ready() {
    const builder = document.getElementById("filter-builder");
    if (builder) builder.hidden = false;
    if (grid()) applyLayout();
  }
  // At the swap, so a re-sorted grid never shows the default order first; and once more
  // when it has settled.
  for (const name of ["htmx:afterSwap", "htmx:afterSettle"]) {
    document.addEventListener(name, (event) => { if (event.target.id === "grid" || grid()) applyLayout(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready); else ready();
})();
