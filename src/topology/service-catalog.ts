// A declared topology that complements the traced one: a service catalog's `dependsOn`, for dependencies
// traces do not show (an uninstrumented caller, a dependency not called in the window, a batch job's queue).
//
// Two shapes are read. Backstage catalog entities, as `catalog-info.yaml` files hold them (one document or
// several), where `spec.dependsOn` lists entity refs `[kind:][namespace/]name`:
//   apiVersion: backstage.io/v1alpha1
//   kind: Component
//   metadata: { name: checkout }
//   spec: { dependsOn: ['component:orders', 'resource:default/orders-db'] }
// and a plain list:
//   services:
//     - { name: checkout, dependsOn: [orders, orders-db] }
// A ref's name part is the service name: the name traces and alerts use must match the catalog's.
// Pure: parsed documents in, declared dependencies or issues (document, field, reason) out.
import { z } from 'zod';
import type { DeclaredDependency } from './dependency-graph.js';

const name = z.string().min(1, 'must not be empty');

const BackstageEntity = z.object({
  apiVersion: z.string().startsWith('backstage.io/', 'expected a backstage.io/… apiVersion'),
  kind: z.string().min(1),
  metadata: z.object({ name }),
  spec: z.object({ dependsOn: z.array(name).optional() }).optional(),
});

const PlainCatalog = z.object({
  services: z.array(z.object({ name, dependsOn: z.array(name).default([]) }).strict()),
});

export interface CatalogIssue {
  /** 0-based index of the document in the file. */
  document: number;
  /** Dotted field path, '' for the whole document. */
  path: string;
  message: string;
}

/** `component:default/orders-db` → `orders-db`. */
export function entityRefName(ref: string): string {
  const afterKind = ref.includes(':') ? ref.slice(ref.indexOf(':') + 1) : ref;
  return afterKind.includes('/') ? afterKind.slice(afterKind.lastIndexOf('/') + 1) : afterKind;
}

/** The dependencies declared by the documents of one catalog file (empty documents are skipped). */
export function parseServiceCatalog(documents: readonly unknown[]): { dependencies: DeclaredDependency[] } | { issues: CatalogIssue[] } {
  const dependencies: DeclaredDependency[] = [];
  const issues: CatalogIssue[] = [];
  documents.forEach((doc, document) => {
    if (doc === null || doc === undefined) return;
    const isPlain = typeof doc === 'object' && 'services' in doc;
    const parsed = isPlain ? PlainCatalog.safeParse(doc) : BackstageEntity.safeParse(doc);
    if (!parsed.success) {
      for (const i of parsed.error.issues) issues.push({ document, path: i.path.map(String).join('.'), message: i.message });
      return;
    }
    if ('services' in parsed.data) {
      for (const s of parsed.data.services) dependencies.push({ service: s.name, dependsOn: s.dependsOn });
    } else {
      const refs = parsed.data.spec?.dependsOn ?? [];
      if (refs.length > 0) dependencies.push({ service: parsed.data.metadata.name, dependsOn: refs.map(entityRefName) });
    }
  });
  return issues.length > 0 ? { issues } : { dependencies };
}
