// Renders the API's own OpenAPI document, with no library and nothing fetched from elsewhere:
// the page works on a closed network. Text is set with textContent, never parsed as HTML.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete"];

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function refName(ref) {
  return ref.split("/").pop();
}

function typeOf(schema, doc) {
  if (!schema) return "any";
  if (schema.$ref) return refName(schema.$ref);
  for (const key of ["oneOf", "anyOf", "allOf"]) {
    if (schema[key]) return schema[key].map((s) => typeOf(s, doc)).join(key === "allOf" ? " & " : " | ");
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.type === "array") return `${typeOf(schema.items, doc)}[]`;
  let type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type || "any";
  if (schema.format) type += ` (${schema.format})`;
  if (schema.pattern) type += ` /${schema.pattern}/`;
  return type;
}

function resolve(schema, doc) {
  if (schema && schema.$ref) return doc.components.schemas[refName(schema.$ref)] || {};
  return schema || {};
}

function schemaTree(schema, doc, seen, depth) {
  const resolved = resolve(schema, doc);
  const name = schema && schema.$ref ? refName(schema.$ref) : null;
  const wrap = el("div", { class: "schema" });
  if (name && seen.has(name)) {
    wrap.append(el("span", { class: "type" }, `${name} (see above)`));
    return wrap;
  }
  const nextSeen = new Set(seen);
  if (name) nextSeen.add(name);
  if (resolved.description) wrap.append(el("div", { class: "type" }, resolved.description));
  const branches = resolved.oneOf || resolved.anyOf;
  if (branches && depth < 8) {
    for (const branch of branches) {
      const open = el("details", {}, el("summary", {}, `one of: ${typeOf(branch, doc)}`));
      open.append(schemaTree(branch, doc, nextSeen, depth + 1));
      wrap.append(open);
    }
  }
  if (resolved.type === "array" && resolved.items && depth < 8) {
    wrap.append(el("div", { class: "type" }, `items: ${typeOf(resolved.items, doc)}`));
    wrap.append(schemaTree(resolved.items, doc, nextSeen, depth + 1));
  }
  const properties = resolved.properties || {};
  const required = new Set(resolved.required || []);
  if (Object.keys(properties).length && depth < 8) {
    const table = el("table", {}, el("tr", {}, el("th", {}, "property"), el("th", {}, "type")));
    for (const [property, subschema] of Object.entries(properties)) {
      const cell = el("td", {}, typeOf(subschema, doc));
      const inner = resolve(subschema.items || subschema, doc);
      if (inner.properties || inner.oneOf || inner.anyOf) {
        const more = el("details", {}, el("summary", {}, "fields"));
        more.append(schemaTree(subschema, doc, nextSeen, depth + 1));
        cell.append(more);
      }
      table.append(
        el(
          "tr",
          {},
          el("td", {}, el("code", {}, property), required.has(property) ? el("span", { class: "required" }, " *") : null),
          cell,
        ),
      );
    }
    wrap.append(table);
  }
  return wrap;
}

function parametersTable(parameters, doc) {
  if (!parameters || !parameters.length) return null;
  const table = el(
    "table",
    {},
    el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "description")),
  );
  for (const p of parameters) {
    table.append(
      el(
        "tr",
        {},
        el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "required" }, " *") : null),
        el("td", {}, p.in),
        el("td", {}, typeOf(p.schema, doc)),
        el("td", {}, p.description || ""),
      ),
    );
  }
  return table;
}

function contentBlock(content, doc) {
  const block = el("div");
  for (const [media, entry] of Object.entries(content || {})) {
    block.append(el("div", {}, el("code", {}, media), " ", el("span", { class: "type" }, typeOf(entry.schema, doc))));
    block.append(schemaTree(entry.schema, doc, new Set(), 0));
  }
  return block;
}

function operationView(path, method, operation, doc) {
  const summary = el(
    "summary",
    {},
    el("span", { class: `method ${method}` }, method.toUpperCase()),
    el("span", { class: "path" }, path),
    " ",
    operation.summary || "",
    operation["x-scopes"] ? el("span", { class: "scopes" }, `scope: ${operation["x-scopes"].join(" or ")}`) : null,
    operation.security && operation.security.length === 0 ? el("span", { class: "scopes" }, "no key") : null,
    operation["x-undocumented"] ? el("span", { class: "undocumented" }, "undocumented") : null,
  );
  const body = el("div", { class: "body" });
  if (operation.description) body.append(el("p", {}, operation.description));
  const parameters = parametersTable(operation.parameters, doc);
  if (parameters) body.append(el("h4", {}, "Parameters"), parameters);
  if (operation.requestBody) body.append(el("h4", {}, "Body"), contentBlock(operation.requestBody.content, doc));
  body.append(el("h4", {}, "Responses"));
  for (const [status, response] of Object.entries(operation.responses || {})) {
    const headers = Object.keys(response.headers || {});
    body.append(
      el(
        "div",
        {},
        el("span", { class: "status" }, status),
        " ",
        response.description || "",
        headers.length ? el("div", { class: "type" }, `headers: ${headers.join(", ")}`) : null,
      ),
    );
    if (response.content) body.append(contentBlock(response.content, doc));
  }
  return el("details", { class: "operation", id: `${method}-${path}` }, summary, body);
}

function render(doc) {
  document.getElementById("title").textContent = `${doc.info.title} ${doc.info.version}`;
  const summary = document.getElementById("summary");
  summary.textContent = doc.info.description || "";
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = (operation.tags && operation.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operationView(path, method, operation, doc));
    }
  }
  const nav = document.getElementById("tags");
  const main = document.getElementById("operations");
  for (const [tag, views] of byTag) {
    nav.append(el("a", { href: `#tag-${tag}` }, tag));
    main.append(el("h2", { id: `tag-${tag}` }, tag), ...views);
  }
  const schemas = document.getElementById("schemas");
  for (const [name, schema] of Object.entries(doc.components.schemas || {})) {
    const item = el("details", { id: `schema-${name}` }, el("summary", {}, name));
    item.append(schemaTree({ $ref: `#/components/schemas/${name}` }, doc, new Set(), 0));
    schemas.append(item);
  }
  document.getElementById("schemas-section").hidden = false;
  document.body.dataset.rendered = "true";
}

fetch("openapi.json")
  .then((response) => {
    if (!response.ok) throw new Error(`openapi.json answered ${response.status}`);
    return response.json();
  })
  .then(render)
  .catch((error) => {
    document.getElementById("summary").textContent = `Cannot load the document: ${error.message}`;
  });
