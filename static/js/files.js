// Drag-and-drop upload with a progress bar per file (the upload page of the files app).
// Each file is its own POST to the REST endpoint, so one refusal doesn't stop the rest.
(() => {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const zone = form.querySelector("[data-dropzone]");
  const input = form.querySelector("input[type=file]");
  const list = document.getElementById("uploads");
  const endpoint = form.dataset.endpoint;
  const maxBytes = Number(form.dataset.maxBytes);
  const accepted = form.dataset.accept.split(",").filter(Boolean);
  const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const parallel = 2;
  const queue = [];
  let running = 0;

  const extensionOf = (name) => {
    const dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(dot).toLowerCase() : "";
  };

  const megabytes = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;

  function row(file) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    const status = document.createElement("span");
    status.className = "muted";
    status.textContent = `waiting · ${megabytes(file.size)}`;
    item.append(name, bar, status);
    list.append(item);
    return { item, name, bar, status };
  }

  function fail(view, message) {
    view.bar.remove();
    view.status.className = "error";
    view.status.textContent = message;
  }

  function done(view, body, duplicate) {
    view.bar.value = 100;
    const link = document.createElement("a");
    link.href = `/files/${body.id}/`;
    link.textContent = duplicate ? "already uploaded — open" : `${body.status} — open`;
    view.status.className = "";
    view.status.replaceChildren(link);
  }

  function send(file, view) {
    running += 1;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", endpoint);
    xhr.setRequestHeader("X-CSRFToken", csrfToken);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      const percent = Math.round((event.loaded / event.total) * 100);
      view.bar.value = percent;
      view.status.textContent = `${percent} % of ${megabytes(event.total)}`;
    });
    xhr.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (error) { body = {}; }
      if (xhr.status === 201 || xhr.status === 200) done(view, body, Boolean(body.duplicate));
      else fail(view, body.detail || `Upload failed (HTTP ${xhr.status}).`);
    });
    xhr.addEventListener("error", () => fail(view, "Upload interrupted (network error, or the file was refused)."));
    xhr.addEventListener("loadend", () => { running -= 1; next(); });
    const data = new FormData();
    data.append("file", file);
    xhr.send(data);
  }

  function next() {
    while (running < parallel && queue.length) {
      const [file, view] = queue.shift();
      send(file, view);
    }
  }

  function add(files) {
    for (const file of files) {
      const view = row(file);
      if (accepted.length && !accepted.includes(extensionOf(file.name))) {
        fail(view, `Not an allowed type (${accepted.join(", ")}).`);
      } else if (file.size === 0) {
        fail(view, "The file is empty.");
      } else if (file.size > maxBytes) {
        fail(view, `Larger than the ${megabytes(maxBytes)} limit.`);
      } else {
        queue.push([file, view]);
      }
    }
    next();
  }

  input.addEventListener("change", () => { add(input.files); input.value = ""; });
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.remove("over");
  }));
  zone.addEventListener("drop", (event) => add(event.dataTransfer.files));
})();
