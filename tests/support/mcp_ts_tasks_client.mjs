// An MCP client on the official TypeScript client 2.x with the official Tasks
// extension requester (@modelcontextprotocol/ext-tasks), installed by tests/mcp
// from the npm registry. It speaks the 2026-07-28 protocol; task traffic goes
// through a raw JSON-RPC dispatcher over the same Streamable HTTP endpoint, as
// the extension's SDK adapter asks of its host.
//
// Usage: node mcp_ts_tasks_client.mjs URL KEY CALLS_JSON
// CALLS_JSON is a list of [tool, arguments]; prints one JSON document with the
// negotiated era, whether the server declares the Tasks extension, and for each
// call how it ran (immediate or task), its task id, the statuses seen while it
// was followed and its final result, or what the client threw.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  createTaskSessionFromClient,
  resultFromTaskOutcome,
} from "@modelcontextprotocol/ext-tasks/client";

const [url, key, callsJson] = process.argv.slice(2);
const PROTOCOL = "2026-07-28";
const clientInfo = { name: "ts-client-2-tasks-probe", version: "1.0.0" };
const clientCapabilities = {};
const authorization = { Authorization: `Bearer ${key}` };

const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: authorization },
});
const client = new Client(clientInfo, {
  capabilities: clientCapabilities,
  versionNegotiation: { mode: { pin: PROTOCOL } },
});
await client.connect(transport);

const era = client.getProtocolEra();
const tasksDeclared = Boolean(
  client.getServerCapabilities()?.extensions?.["io.modelcontextprotocol/tasks"]);

// The host's request path for task traffic: the request framed as one JSON-RPC
// message, POSTed with the headers the 2026-07-28 transport requires, and the
// JSON-RPC response as it came.
let nextId = 1;
async function rawDispatch(request) {
  const message = { jsonrpc: "2.0", id: `raw-${nextId++}`, ...request };
  const headers = {
    ...authorization,
    "Content-Type": "application/json",
    Accept: "application/json, text/event-stream",
    "MCP-Protocol-Version": PROTOCOL,
    "Mcp-Method": request.method,
  };
  if (request.method === "tools/call") headers["Mcp-Name"] = request.params.name;
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(message) });
  const body = await response.json();
  return "error" in body
    ? { kind: "error", error: body.error }
    : { kind: "result", result: body.result };
}

const session = createTaskSessionFromClient(client, {
  endpointId: url,
  rawDispatch,
  v2RequestFraming: { protocolVersion: PROTOCOL, clientInfo, clientCapabilities },
});

const results = [];
for (const [name, args] of JSON.parse(callsJson)) {
  try {
    const execution = await session.callTool(name, args);
    const entry = { kind: execution.kind, taskId: execution.handle?.taskId ?? null };
    if (execution.kind === "task") {
      const snapshot = await session.task(execution.handle.taskId).snapshot();
      entry.firstStatus = snapshot.status;
      entry.statusMessage = snapshot.statusMessage ?? null;
    }
    const { outcome } = await execution.settle();
    const result = resultFromTaskOutcome(outcome);
    entry.isError = result.isError === true;
    entry.structuredContent = result.structuredContent ?? null;
    entry.text = result.content?.[0]?.text ?? null;
    results.push(entry);
  } catch (error) {
    results.push({ thrown: String(error), code: error.code ?? null });
  }
}
await session.close();
await client.close();
console.log(JSON.stringify({ era, tasksDeclared, results }));
