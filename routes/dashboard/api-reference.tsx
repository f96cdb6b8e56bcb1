/**
 * The API reference page (/docs), rendered on the server from the generated OpenAPI document: every path and
 * method with its summary, parameters, request body and responses, and every component schema. No script,
 * no external asset.
 */
import type { Child } from 'hono/jsx';
import { Page } from './layout.js';

/** The parts of an OpenAPI 3.1 document this page reads. */
interface Schema {
  $ref?: string;
  type?: string | string[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  description?: string;
  example?: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
}
interface Media {
  schema?: Schema;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, Media> };
  responses?: Record<string, { description?: string; content?: Record<string, Media>; headers?: Record<string, { description?: string; schema?: Schema }> }>;
  security?: unknown[];
}
export interface ApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths?: Record<string, object>;
  components?: { schemas?: Record<string, unknown> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const refName = (ref: string) => ref.split('/').pop() ?? ref;
const anchor = (method: string, path: string) => `${method}-${path.replace(/[^A-Za-z0-9]+/g, '-')}`.replace(/-+$/, '');

/** A compact, readable type of a JSON schema, with links to named components. */
function TypeOf({ schema, depth = 0 }: { schema: Schema | undefined; depth?: number }): Child {
  if (!schema) return <span class="muted">any</span>;
  if (schema.$ref) return <a href={`#schema-${refName(schema.$ref)}`}>{refName(schema.$ref)}</a>;
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return <>{union.map((s, i) => (<>{i ? ' | ' : ''}<TypeOf schema={s} depth={depth} /></>))}</>;
  if (schema.allOf) return <>{schema.allOf.map((s, i) => (<>{i ? ' & ' : ''}<TypeOf schema={s} depth={depth} /></>))}</>;
  if (schema.enum) return <code>{schema.enum.map((e) => JSON.stringify(e)).join(' | ')}</code>;
  if (schema.const !== undefined) return <code>{JSON.stringify(schema.const)}</code>;
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  if (type === 'array') return <>{<TypeOf schema={schema.items} depth={depth} />}[]</>;
  if (type === 'object' || schema.properties) {
    if (schema.properties && depth < 2) {
      const req = new Set(schema.required ?? []);
      return (
        <>
          {'{ '}
          {Object.entries(schema.properties).map(([k, v], i) => (
            <>
              {i ? '; ' : ''}
              <code>{k}{req.has(k) ? '' : '?'}</code>: <TypeOf schema={v} depth={depth + 1} />
            </>
          ))}
          {' }'}
        </>
      );
    }
    if (typeof schema.additionalProperties === 'object') return <>record&lt;string, <TypeOf schema={schema.additionalProperties} depth={depth + 1} />&gt;</>;
    return <span>object</span>;
  }
  return <span>{type ?? 'any'}</span>;
}

function Content({ content }: { content: Record<string, Media> | undefined }) {
  if (!content) return <span class="muted">no body</span>;
  return (
    <>
      {Object.entries(content).map(([type, media]) => (
        <div>
          <code class="muted">{type}</code> <TypeOf schema={media.schema} />
        </div>
      ))}
    </>
  );
}

function OperationView({ method, path, op }: { method: string; path: string; op: Operation }) {
  return (
    <section class="card operation" id={anchor(method, path)} data-path={path} data-method={method}>
      <h3>
        <span class={`method ${method}`}>{method.toUpperCase()}</span> <code>{path}</code> <span class="muted">{op.summary ?? ''}</span>
        {op.security?.length ? <span class="badge warn" title="admin token when configured"> admin</span> : ''}
      </h3>
      {op.description ? <p class="small">{op.description}</p> : ''}
      {op.parameters?.length ? (
        <table class="small">
          <thead>
            <tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>
          </thead>
          <tbody>
            {op.parameters.map((p) => (
              <tr>
                <td><code>{p.name}</code>{p.required ? ' *' : ''}</td>
                <td>{p.in}</td>
                <td><TypeOf schema={p.schema} /></td>
                <td>{p.description ?? p.schema?.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : ''}
      {op.requestBody ? (
        <p class="small">
          <b>Request body</b>{op.requestBody.required ? ' (required)' : ''}: <Content content={op.requestBody.content} />
        </p>
      ) : ''}
      <table class="small">
        <thead>
          <tr><th>status</th><th>description</th><th>body</th></tr>
        </thead>
        <tbody>
          {Object.entries(op.responses ?? {}).map(([status, res]) => (
            <tr>
              <td><b>{status}</b></td>
              <td>
                {res.description ?? ''}
                {res.headers ? <div class="muted">headers: {Object.keys(res.headers).map((h) => <code>{h} </code>)}</div> : ''}
              </td>
              <td><Content content={res.content} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function SchemaView({ name, schema }: { name: string; schema: Schema }) {
  const req = new Set(schema.required ?? []);
  return (
    <section class="card schema" id={`schema-${name}`}>
      <h3><code>{name}</code></h3>
      {schema.properties ? (
        <table class="small">
          <thead>
            <tr><th>property</th><th>type</th><th>description</th></tr>
          </thead>
          <tbody>
            {Object.entries(schema.properties).map(([k, v]) => (
              <tr>
                <td><code>{k}</code>{req.has(k) ? ' *' : ''}</td>
                <td><TypeOf schema={v} depth={1} /></td>
                <td>{v.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p class="small"><TypeOf schema={schema} /></p>}
      <details class="small">
        <summary>JSON Schema</summary>
        <pre>{JSON.stringify(schema, null, 2)}</pre>
      </details>
    </section>
  );
}

/** The whole reference page for a document. */
export function ApiReference({ doc }: { doc: ApiDocument }) {
  const ops = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((method) => ({ method, path, op: (item as Record<string, Operation>)[method]! })),
  );
  const schemas = Object.entries((doc.components?.schemas ?? {}) as Record<string, Schema>);
  return (
    <Page title={`${doc.info.title}: API reference`} current="docs">
      <h2>
        {doc.info.title} <span class="muted small">version {doc.info.version} · OpenAPI {doc.openapi} · <a href="/openapi.json">openapi.json</a></span>
      </h2>
      <p>{doc.info.description ?? ''}</p>
      <div class="card">
        <table class="small" id="index">
          <thead>
            <tr><th>method</th><th>path</th><th>summary</th></tr>
          </thead>
          <tbody>
            {ops.map(({ method, path, op }) => (
              <tr>
                <td><span class={`method ${method}`}>{method.toUpperCase()}</span></td>
                <td><a href={`#${anchor(method, path)}`}><code>{path}</code></a></td>
                <td>{op.summary ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Operations</h2>
      {ops.map((o) => <OperationView {...o} />)}
      <h2>Schemas</h2>
      {schemas.map(([name, schema]) => <SchemaView name={name} schema={schema} />)}
    </Page>
  );
}
