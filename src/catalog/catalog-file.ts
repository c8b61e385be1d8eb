// Reads a service catalog file (YAML or JSON, one document or several) into declared dependencies; a bad
// file stops the start (serve) or the command (replay) with file, document, field and reason.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { DeclaredDependency } from '../topology/dependency-graph.js';
import { parseServiceCatalog } from '../topology/service-catalog.js';

export class CatalogLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogLoadError';
  }
}

export function loadServiceCatalog(file: string): DeclaredDependency[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CatalogLoadError(`${file}: cannot read the service catalog: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const docs = parseAllDocuments(text);
  const documents: unknown[] = [];
  for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    const error = doc.errors[0];
    if (error) throw new CatalogLoadError(`${file}: document ${i + 1}: not YAML: ${error.message}`);
    documents.push(doc.toJS());
  }
  const result = parseServiceCatalog(documents);
  if ('issues' in result) {
    const lines = result.issues.map((i) => `  ${file}: document ${i.document + 1}: ${i.path === '' ? '' : `${i.path}: `}${i.message}`);
    throw new CatalogLoadError(`invalid service catalog:\n${lines.join('\n')}`);
  }
  return result.dependencies;
}
