// The shapes shared by the registry importers: what one imported entry looks like before the
// config validates it, and how a problem with one registry entry is reported.

import type { CatalogEntry, RegistryProvenance } from '../../generated/config.js';

/**
 * A catalog entry built from a registry entry. Its source may be of a type this build's config
 * schema does not know yet (package, remote); the config validates every cached entry on load.
 */
export type ImportedEntry = Omit<CatalogEntry, 'source' | 'registry'> & {
  source: { type: string } & Record<string, unknown>;
  registry: RegistryProvenance;
};

/** One failure of a registry entry: where in the registry's answer, and what. */
export interface ImportProblem {
  /** JSON pointer into the source's answer (its page), e.g. /servers/3/server/packages/0/version. */
  pointer: string;
  message: string;
}

/** What the format mappers get besides the document. */
export interface RegistryEntryInput {
  source: string;
  slug: string;
  status: string;
  wrapperMeta?: Record<string, unknown>;
}
