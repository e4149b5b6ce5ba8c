// An MCP client on the official TypeScript SDK 1.x (the one inside mcp-remote,
// Cursor and VS Code), installed by tests/mcp from the npm registry.
//
// Usage: node mcp_ts_client.mjs URL KEY CALLS_JSON
// CALLS_JSON is a list of [tool, arguments]; prints one JSON document with the
// negotiated protocol version, the tools as listed and each call's result, or
// what the SDK threw instead of returning it.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, key, callsJson] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
});
const client = new Client({ name: "ts-sdk-1-probe", version: "1.0.0" });
await client.connect(transport);
const listed = await client.listTools();
const results = [];
for (const [name, args] of JSON.parse(callsJson)) {
  try {
    const result = await client.callTool({ name, arguments: args });
    results.push({
      isError: result.isError === true,
      structuredContent: result.structuredContent ?? null,
      text: result.content?.[0]?.text ?? null,
    });
  } catch (error) {
    results.push({ thrown: String(error), code: error.code ?? null });
  }
}
await client.close();
console.log(JSON.stringify({
  protocolVersion: transport.protocolVersion ?? null,
  tools: listed.tools.map((tool) => ({ name: tool.name, annotations: tool.annotations })),
  results,
}));
