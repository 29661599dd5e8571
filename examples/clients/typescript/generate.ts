/**
 * Types for the bundled contract: `npm run generate` (= `tsx generate.ts [bundle] [out]`).
 *
 * The CLI's flags cannot express one thing: `format: binary` should be a `Blob`, so that a
 * file upload is typed rather than a `string` nobody can construct. openapi-typescript's
 * Node API takes a `transform` for that; the options below are the CLI's
 * `--default-non-nullable false --root-types --root-types-no-schema-prefix`.
 */
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const [bundle = "../../../build/openapi.json", out = "src/schema.d.ts"] = process.argv.slice(2);
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));

const ast = await openapiTS(pathToFileURL(bundle), {
  // A request field with a default (finalize, approve, content_type) stays optional.
  defaultNonNullable: false,
  // `InvoiceResponse`, `ErrorResponse`, ... as top-level exports, not only components[...].
  rootTypes: true,
  rootTypesNoSchemaPrefix: true,
  transform(schema) {
    return schema.format === "binary" ? BLOB : undefined;
  },
});
writeFileSync(out, astToString(ast));
console.log(`${bundle} → ${out}`);
