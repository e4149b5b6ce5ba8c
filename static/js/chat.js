// The chat page: sends a message to the REST endpoint with Accept: text/event-stream and
// renders the Server-Sent Events as they arrive (EventSource can't POST, so fetch() reads
// the stream). Tool calls become collapsible steps; the stop button aborts the request
// and asks the server to stop the turn.
(() => {
  const root = document.getElementById("chat");
  if (!root) return;
  const api = root.dataset.api;
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-input");
  const send = document.getElementById("chat-send");
  const stop = document.getElementById("chat-stop");
  const picker = document.getElementById("chat-model");
  const counters = document.getElementById("chat-counters");
  const title = document.getElementById("chat-title");
  const list = document.getElementById("chat-list");
  const search = document.getElementById("chat-search");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  let conversationId = root.dataset.conversationId || null;
  let controller = null;

  const headers = (extra = {}) => ({"Content-Type": "application/json", "X-CSRFToken": csrf, ...extra});

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // An answer's Markdown as HTML: marked renders it, DOMPurify removes whatever could run.
  function renderMarkdown(node, text) {
    if (window.marked && window.DOMPurify) {
      node.innerHTML = window.DOMPurify.sanitize(window.marked.parse(text, {gfm: true, breaks: true}));
    } else {
      node.textContent = text;
    }
  }
  log.querySelectorAll("[data-markdown]").forEach((node) => renderMarkdown(node, node.textContent));

  function dropEmptyNote() { document.getElementById("chat-empty")?.remove(); }

  function pickedModel() {
    const [provider, ...rest] = (picker.value || "").split(":");
    return picker.value ? {provider, model: rest.join(":")} : {provider: "", model: ""};
  }

  function money(value) { return `$${Number(value || 0).toFixed(4)}`; }

  function showCounters(usage) {
    if (!usage) return;
    counters.textContent = `${usage.total_tokens} tokens · ${money(usage.cost)}`;
  }

  async function problemText(response) {
    try {
      const body = await response.json();
      return body.detail || body.title || `HTTP ${response.status}`;
    } catch {
      return `HTTP ${response.status}`;
    }
  }

  async function createConversation() {
    const response = await fetch(`${api}/conversations`, {
      method: "POST", headers: headers(), body: JSON.stringify(pickedModel()), credentials: "same-origin",
    });
    if (!response.ok) throw new Error(await problemText(response));
    const conversation = await response.json();
    conversationId = conversation.id;
    root.dataset.conversationId = conversation.id;
    history.pushState({}, "", `/chat/${conversation.id}/`);
    return conversation;
  }

  function addToList(text) {
    const item = element("li");
    const link = element("a", "current", text.slice(0, 80));
    link.href = `/chat/${conversationId}/`;
    link.dataset.title = text.toLowerCase();
    list.querySelectorAll("a.current").forEach((a) => a.classList.remove("current"));
    item.append(link);
    list.querySelector("li.muted")?.remove();
    list.prepend(item);
  }

  // One rendering of a turn's events.
  class TurnView {
    constructor() { this.bubble = null; this.steps = new Map(); }

    text(delta) {
      if (!this.bubble) {
        this.bubble = element("div", "msg assistant");
        this.body = element("div", "md");
        this.raw = "";
        this.bubble.append(this.body);
        log.append(this.bubble);
      }
      this.raw += delta;
      renderMarkdown(this.body, this.raw);
      scrollDown();
    }

    toolCall(event) {
      this.bubble = null;  // text after the tools goes into a new bubble
      const step = element("details", "step");
      const summary = element("summary", "", `… ${event.name}`);
      const args = element("pre", "", JSON.stringify(event.arguments, null, 2));
      const result = element("pre", "", "running…");
      step.append(summary, element("div", "", "Arguments"), args, element("div", "", "Result"), result);
      log.append(step);
      this.steps.set(event.id, {step, summary, result});
      scrollDown();
    }

    toolResult(event) {
      const entry = this.steps.get(event.id);
      if (!entry) return;
      entry.summary.textContent = `${event.is_error ? "✗" : "✓"} ${event.name}`;
      entry.result.textContent = JSON.stringify(event.result, null, 2);
      if (event.is_error) entry.step.classList.add("failed");
    }

    done(event) {
      const message = event.message;
      if (!this.bubble) this.text(message.content || "");
      if (message.sources && message.sources.length) {
        const sources = element("div", "sources", "Records used: ");
        message.sources.forEach((source, index) => {
          sources.append(element("code", "", source.id));
          if (index < message.sources.length - 1) sources.append(", ");
        });
        this.bubble.append(sources);
      }
      const usage = event.usage;
      this.bubble.append(element("span", "meta",
        `${message.usage.model} · ${usage.total_tokens} tokens · ${money(usage.cost)} · ` +
        `${usage.rounds} step${usage.rounds === 1 ? "" : "s"}`));
      showCounters(event.conversation && event.conversation.usage);
      if (event.conversation && event.conversation.title) title.textContent = event.conversation.title;
    }

    error(text) {
      const bubble = this.bubble || element("div", "msg assistant");
      bubble.classList.add("error");
      bubble.append(element("span", "meta", text));
      if (!this.bubble) log.append(bubble);
      this.bubble = null;
      scrollDown();
    }
  }

  function dispatch(view, name, data) {
    if (name === "delta") view.text(data.text);
    else if (name === "tool_call") view.toolCall(data);
    else if (name === "tool_result") view.toolResult(data);
    else if (name === "done") view.done(data);
    else if (name === "error") view.error(data.message);
  }

  // Server-Sent Events from a fetch() body: blocks separated by a blank line.
  async function readEvents(response, view) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let name = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (data.length) dispatch(view, name, JSON.parse(data.join("\n")));
      }
    }
  }

  function busy(on) {
    send.disabled = on;
    stop.hidden = !on;
    input.disabled = on;
  }

  async function ask(text) {
    dropEmptyNote();
    const view = new TurnView();
    log.append(element("div", "msg user", text));
    scrollDown();
    busy(true);
    controller = new AbortController();
    try {
      if (!conversationId) {
        await createConversation();
        addToList(text);
      }
      const response = await fetch(`${api}/conversations/${conversationId}/messages`, {
        method: "POST", headers: headers({"Accept": "text/event-stream"}),
        body: JSON.stringify({content: text}), signal: controller.signal, credentials: "same-origin",
      });
      if (!response.ok) view.error(await problemText(response));
      else await readEvents(response, view);
    } catch (error) {
      view.error(error.name === "AbortError" ? "Stopped." : `The answer failed: ${error.message}`);
    } finally {
      controller = null;
      busy(false);
      input.focus();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || controller) return;
    input.value = "";
    ask(text);
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  stop.addEventListener("click", () => {
    if (conversationId) {
      fetch(`${api}/conversations/${conversationId}/stop`, {method: "POST", headers: headers(), credentials: "same-origin"});
    }
    controller?.abort();
  });

  picker.addEventListener("change", () => {
    if (!conversationId) return;
    fetch(`${api}/conversations/${conversationId}`, {
      method: "PATCH", headers: headers(), body: JSON.stringify(pickedModel()), credentials: "same-origin",
    });
  });

  document.getElementById("chat-new").addEventListener("click", () => {
    window.location.href = "/chat/";
  });

  search.addEventListener("input", () => {
    const wanted = search.value.trim().toLowerCase();
    list.querySelectorAll("a[data-title]").forEach((link) => {
      link.parentElement.hidden = wanted !== "" && !link.dataset.title.includes(wanted);
    });
  });

  // The composer is disabled in the page until this point, so nothing typed is lost.
  busy(false);
  scrollDown();
})();
