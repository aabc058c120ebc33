// graphql-codegen over the gateway's served SDL and the example operations
// in ../examples/operations. Outputs:
//   schema.ts   — TypeScript types of the schema (typescript plugin);
//   graphql.ts  — result and variables types of each operation
//                 (typescript-operations, enums and inputs from schema.ts);
//   persisted/  — the client preset with persisted documents: typed
//                 documents that carry their hash, and persisted-documents.json,
//                 the {sha256: document} manifest the gateway loads with
//                 PERSISTED_OPERATIONS_FILE.
// GATEWAY_SCHEMA_URL points at a running gateway's /schema.graphql (default
// localhost:8080); CODEGEN_OUT is the output directory (default generated/);
// CODEGEN_DOCUMENTS (comma-separated globs) replaces the operations.
import type { CodegenConfig } from '@graphql-codegen/cli';

const schema = process.env.GATEWAY_SCHEMA_URL ?? 'http://localhost:8080/schema.graphql';
const out = process.env.CODEGEN_OUT ?? 'generated';

const scalars = {
  ID: 'string',
  DateTime: 'string',
  JSON: 'unknown',
};

const config: CodegenConfig = {
  schema,
  documents: process.env.CODEGEN_DOCUMENTS?.split(',') ?? ['../examples/operations/*.graphql'],
  generates: {
    // Types of the whole schema (enums, inputs, objects).
    [`${out}/schema.ts`]: {
      plugins: ['typescript'],
      config: { scalars, enumsAsTypes: true, strictScalars: true },
    },
    // Result and variables types of each operation, importing the schema's
    // enums and inputs from schema.ts.
    [`${out}/graphql.ts`]: {
      plugins: ['typescript-operations'],
      config: { scalars, strictScalars: true, importSchemaTypesFrom: `${out}/schema.ts` },
    },
    [`${out}/persisted/`]: {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
      config: { scalars, enumsAsTypes: true, strictScalars: true },
    },
  },
};

export default config;
